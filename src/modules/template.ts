import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { attributeProps, attrsOf, checkAttrArgs, checkRenderedArgs, checkValidateArg, known, type AttrArgs } from './lib/file-args.js';
import { putFile } from './lib/put-file.js';
import { defineModule, type ModuleDef } from './types.js';

export interface TemplateArgs extends AttrArgs {
  src: string;
  dest: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** ansible.builtin.template: renders a role's templates/ file with the host's variables. */
const template: ModuleDef<TemplateArgs> = defineModule<TemplateArgs>({
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
  async run(a, ctx) {
    const bad = checkRenderedArgs(template, a, ctx);
    if (bad) return bad;
    const file = ctx.resolveFile('templates', a.src);
    const text = ctx.render(readFileSync(file, 'utf8'), file);
    return putFile(ctx, Buffer.from(text, 'utf8'), {
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
