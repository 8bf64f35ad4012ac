import { InputError } from '../errors.js';
import { pyRegex, pySub } from '../vars/py-regex.js';
import { editedFile, editFile } from './lib/edit-file.js';
import { attributeProps, attrsOf, checkAttrArgs, checkPattern, checkValidateArg, known, type AttrArgs } from './lib/file-args.js';
import type { EditResult } from './lib/line-edit.js';
import { defineModule } from './types.js';

export interface ReplaceArgs extends AttrArgs {
  path?: string;
  dest?: string;
  destfile?: string;
  name?: string;
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
  backup?: boolean;
  validate?: string;
}

const pathOf = (a: ReplaceArgs) => (a.path ?? a.dest ?? a.destfile ?? a.name)!;

/**
 * ansible.builtin.replace on the file's text: every match of regexp (multiline) replaced, within
 * the part between `after` and `before` when given (dotall, the first such part), as replace.py.
 */
export function replaceIn(contents: string, a: Pick<ReplaceArgs, 'regexp' | 'replace' | 'after' | 'before'>): EditResult {
  const pattern = a.after && a.before ? `${a.after}(?P<subsection>.*?)${a.before}` : a.after ? `${a.after}(?P<subsection>.*)` : a.before ? `(?P<subsection>.*)${a.before}` : '';
  let section = contents;
  let at: [number, number] | undefined;
  if (pattern) {
    const m = pyRegex(pattern, { dotall: true, indices: true }).re.exec(contents);
    if (!m) return { text: contents, changed: false, msg: `Pattern for before/after params did not match the given file: ${pattern}` };
    at = m.indices!.groups!.subsection!;
    section = m.groups!.subsection!;
  }
  const { text, n } = pySub(pyRegex(a.regexp, { multiline: true }).re, a.replace ?? '', section);
  if (n === 0 || text === section) return { text: contents, changed: false, msg: '' };
  return { text: at ? contents.slice(0, at[0]) + text + contents.slice(at[1]) : text, changed: true, msg: `${n} replacements made` };
}

export default defineModule<ReplaceArgs, { file: ReturnType<typeof editedFile> }>({
  name: 'replace',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['regexp'],
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
    properties: {
      path: { type: 'string', minLength: 1 },
      dest: { type: 'string', minLength: 1, description: 'alias of path' },
      destfile: { type: 'string', minLength: 1, description: 'alias of path' },
      name: { type: 'string', minLength: 1, description: 'alias of path' },
      regexp: { type: 'string', description: 'Python regular expression, multiline' },
      replace: { type: 'string', default: '', description: 'replacement; \\1, \\g<name> refer to groups' },
      after: { type: 'string' },
      before: { type: 'string' },
      backup: { type: 'boolean', default: false },
      validate: { type: 'string' },
      ...attributeProps,
    },
  },
  validate(a) {
    checkAttrArgs('replace', a);
    checkValidateArg('replace', a.validate);
    checkPattern('replace', 'regexp', a.regexp);
    for (const k of ['after', 'before'] as const) if (known(a[k])) checkPattern('replace', k, a[k]);
    if ([a.path, a.dest, a.destfile, a.name].filter((x) => x !== undefined).length > 1) throw new InputError('replace: give path (or one alias of it) once');
  },
  facts: (a) => ({ file: editedFile(pathOf(a)) }),
  async run(a, ctx, facts) {
    const path = pathOf(a);
    return editFile(ctx, facts.file, { path, attrs: attrsOf(a), backup: a.backup, validate: a.validate, missingMsg: `Path ${path} does not exist !` }, (text) => replaceIn(text ?? '', a));
  },
});
