import { InputError } from '../errors.js';
import { editedFile, editFile } from './lib/edit-file.js';
import { attributeProps, attrsOf, checkAttrArgs, type AttrArgs } from './lib/file-args.js';
import { iniEdit } from './lib/ini-edit.js';
import { defineModule } from './types.js';

export interface IniFileArgs extends AttrArgs {
  path?: string;
  dest?: string;
  section?: string | null;
  option?: string;
  value?: string;
  values?: string[];
  state?: 'present' | 'absent';
  exclusive?: boolean;
  no_extra_spaces?: boolean;
  allow_no_value?: boolean;
  create?: boolean;
  backup?: boolean;
}

const pathOf = (a: IniFileArgs) => (a.path ?? a.dest)!;

/** community.general.ini_file: one option of one section, by that module's rules (lib/ini-edit.ts). */
export default defineModule<IniFileArgs, { file: ReturnType<typeof editedFile> }>({
  name: 'ini_file',
  schema: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['path'] }, { required: ['dest'] }],
    properties: {
      path: { type: 'string', minLength: 1 },
      dest: { type: 'string', minLength: 1, description: 'alias of path' },
      section: { type: ['string', 'null'], description: 'the section; none for options before the first section' },
      option: { type: 'string', minLength: 1 },
      value: { type: ['string', 'number', 'boolean'] },
      values: { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
      state: { enum: ['present', 'absent'], default: 'present' },
      exclusive: { type: 'boolean', default: true },
      no_extra_spaces: { type: 'boolean', default: false },
      allow_no_value: { type: 'boolean', default: false },
      create: { type: 'boolean', default: true },
      backup: { type: 'boolean', default: false },
      ...attributeProps,
    },
  },
  validate(a) {
    checkAttrArgs('ini_file', a);
    if (a.value !== undefined && a.values !== undefined) throw new InputError('ini_file: value and values are mutually exclusive');
    if ((a.state ?? 'present') === 'present' && !a.allow_no_value && a.value === undefined && !a.values?.length) {
      throw new InputError("ini_file: value (or values) is required with state: present, unless allow_no_value: true");
    }
  },
  facts: (a) => ({ file: editedFile(pathOf(a)) }),
  async run(a, ctx, facts) {
    const path = pathOf(a);
    const state = a.state ?? 'present';
    const values = a.value !== undefined ? [String(a.value)] : (a.values ?? []).map(String);
    return editFile(
      ctx,
      facts.file,
      { path, attrs: attrsOf(a), create: a.create ?? true, backup: a.backup, absentOk: state === 'absent', missingMsg: `Destination ${path} does not exist!` },
      (text) =>
        iniEdit(text, {
          section: a.section ?? undefined,
          option: a.option,
          values,
          state,
          exclusive: a.exclusive ?? true,
          noExtraSpaces: a.no_extra_spaces ?? false,
          allowNoValue: a.allow_no_value ?? false,
        }),
    );
  },
});
