import { InputError } from '../errors.js';
import { editedFile, editFile } from './lib/edit-file.js';
import { attributeProps, attrsOf, checkAttrArgs, checkPattern, checkPlacement, checkValidateArg, lineEditProps, pathOf, pathProps, requirePath, type AttrArgs } from './lib/file-args.js';
import { lineInFile } from './lib/line-edit.js';
import { defineModule } from './types.js';

export interface LineInFileModuleArgs extends AttrArgs {
  path?: string;
  dest?: string;
  name?: string;
  line?: string;
  regexp?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
  create?: boolean;
  backup?: boolean;
  validate?: string;
}

/** ansible.builtin.lineinfile, with Ansible's matching and insertion rules (see lib/line-edit.ts). */
const lineinfile = defineModule({
  name: 'lineinfile',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...requirePath,
    properties: {
      ...pathProps,
      line: { type: 'string' },
      regexp: { type: 'string', description: 'Python-style regular expression searched in each line' },
      search_string: { type: 'string' },
      backrefs: { type: 'boolean', default: false },
      firstmatch: { type: 'boolean', default: false },
      ...lineEditProps,
      ...attributeProps,
    },
  },
  validate(a) {
    checkAttrArgs('lineinfile', a);
    checkValidateArg('lineinfile', a.validate);
    if (a.regexp !== undefined && a.search_string !== undefined) throw new InputError('lineinfile: regexp and search_string are mutually exclusive');
    if (a.backrefs && a.search_string !== undefined) throw new InputError('lineinfile: backrefs and search_string are mutually exclusive');
    const state = a.state ?? 'present';
    if (state === 'present') {
      if (a.line === undefined) throw new InputError('lineinfile: line is required with state: present');
      if (a.backrefs && a.regexp === undefined) throw new InputError('lineinfile: regexp is required with backrefs: true');
    } else if (a.line === undefined && a.regexp === undefined && a.search_string === undefined) {
      throw new InputError('lineinfile: one of line, search_string or regexp is required with state: absent');
    }
    checkPattern('lineinfile', 'regexp', a.regexp);
    checkPlacement('lineinfile', a);
  },
  facts: (a: LineInFileModuleArgs) => ({ file: editedFile(pathOf(a)) }),
  async run(a, ctx, facts) {
    const path = pathOf(a);
    const state = a.state ?? 'present';
    return editFile(
      ctx,
      facts.file,
      {
        path,
        attrs: attrsOf(a),
        create: a.create,
        backup: a.backup,
        validate: a.validate,
        absentOk: state === 'absent',
        missingMsg: `Destination ${path} does not exist !`,
      },
      (text) => lineInFile(text, { ...a, state }),
    );
  },
});

export default lineinfile;
