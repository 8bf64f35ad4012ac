import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { attributeProps, attrsOf, checkAttrArgs, checkValidateArg, known, type AttrArgs } from './lib/file-args.js';
import { putFile, putFileFacts } from './lib/put-file.js';
import { defineModule, type FactEnv } from './types.js';

export interface TemplateArgs extends AttrArgs {
  src: string;
  dest: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** ansible.builtin.template: renders a role's templates/ file with the host's variables. */
const template = defineModule({
  name: 'template',
  schema: {
    type: 'object',
    required: ['src', 'dest'],
    additionalProperties: false,
    properties: {
      src: { type: 'string', minLength: 1 },
      dest: { type: 'string', minLength: 1 },
      ...attributeProps,
      backup: { type: 'boolean', default: false },
      force: { type: 'boolean', default: true },
      validate: { type: 'string', description: "command checking the rendered file before it replaces dest, e.g. 'vtysh -C -f %s'" },
    },
  },
  validate(a, ctx) {
    checkAttrArgs('template', a);
    checkValidateArg('template', a.validate);
    if (!known(a.src)) return;
    const file = ctx.resolveFile('templates', a.src);
    ctx.checkTemplate(readFileSync(file, 'utf8'), file);
  },
  facts: (a: TemplateArgs, env: FactEnv) => putFileFacts(a.dest, posix.basename(a.src), env.diff),
  async run(a, ctx, facts) {
    const file = ctx.resolveFile('templates', a.src);
    const text = ctx.render(readFileSync(file, 'utf8'), file);
    return putFile(ctx, facts, Buffer.from(text, 'utf8'), {
      dest: a.dest,
      attrs: attrsOf(a),
      backup: a.backup,
      force: a.force,
      validate: a.validate,
      intoDirName: posix.basename(a.src), // Ansible: a directory dest gets the template's own name
    });
  },
});

export default template;
