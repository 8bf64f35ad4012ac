import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { InputError } from '../errors.js';
import { attributeProps, attrsOf, checkAttrArgs, checkValidateArg, known, type AttrArgs } from './lib/file-args.js';
import { putFile, putFileFacts } from './lib/put-file.js';
import { defineModule, type FactEnv } from './types.js';

export interface CopyArgs extends AttrArgs {
  dest: string;
  content?: string;
  src?: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** ansible.builtin.copy: a file from the role's files/ (or inline content) to the host. */
const copy = defineModule({
  name: 'copy',
  schema: {
    type: 'object',
    required: ['dest'],
    additionalProperties: false,
    properties: {
      dest: { type: 'string', minLength: 1 },
      content: { type: 'string' },
      src: { type: 'string', minLength: 1 },
      ...attributeProps,
      backup: { type: 'boolean', default: false },
      force: { type: 'boolean', default: true },
      validate: { type: 'string', description: "command checking the new file before it replaces dest, e.g. 'visudo -cf %s'" },
    },
  },
  validate(a, ctx) {
    checkAttrArgs('copy', a);
    checkValidateArg('copy', a.validate);
    if ((a.src === undefined) === (a.content === undefined)) throw new InputError('copy: give exactly one of src or content');
    if (a.content !== undefined && a.dest.endsWith('/')) throw new InputError('copy: dest must be a file path when content is given, not a directory');
    if (known(a.src)) {
      const file = ctx.resolveFile('files', a.src);
      if (statSync(file).isDirectory()) throw new InputError(`copy: src ${a.src} is a directory; copying directories is not supported`);
    }
  },
  facts: (a: CopyArgs, env: FactEnv) => putFileFacts(a.dest, a.src !== undefined ? posix.basename(a.src) : undefined, env.diff),
  async run(a, ctx, facts) {
    const content = a.src !== undefined ? readFileSync(ctx.resolveFile('files', a.src)) : Buffer.from(a.content ?? '', 'utf8');
    return putFile(ctx, facts, content, {
      dest: a.dest,
      attrs: attrsOf(a),
      backup: a.backup,
      force: a.force,
      validate: a.validate,
      intoDirName: a.src !== undefined ? posix.basename(a.src) : undefined,
    });
  },
});

export default copy;
