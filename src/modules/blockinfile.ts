import { InputError } from '../errors.js';
import { editedFile, editFile } from './lib/edit-file.js';
import { attributeProps, attrsOf, checkAttrArgs, checkPlacement, checkValidateArg, known, lineEditProps, pathOf, pathProps, requirePath, type AttrArgs } from './lib/file-args.js';
import { blockInFile } from './lib/line-edit.js';
import { defineModule } from './types.js';

export interface BlockInFileModuleArgs extends AttrArgs {
  path?: string;
  dest?: string;
  name?: string;
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  append_newline?: boolean;
  prepend_newline?: boolean;
  create?: boolean;
  backup?: boolean;
  validate?: string;
}

/**
 * Ansible's default marker, kept on purpose: a file Ansible already manages stays a no-op when
 * the same play runs under fabric.
 */
export const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

/** ansible.builtin.blockinfile, with Ansible's marker and placement rules (see lib/line-edit.ts). */
const blockinfile = defineModule({
  name: 'blockinfile',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...requirePath,
    properties: {
      ...pathProps,
      block: { type: 'string', default: '' },
      marker: { type: 'string', default: DEFAULT_MARKER, description: '{mark} becomes marker_begin / marker_end' },
      marker_begin: { type: 'string', default: 'BEGIN' },
      marker_end: { type: 'string', default: 'END' },
      append_newline: { type: 'boolean', default: false },
      prepend_newline: { type: 'boolean', default: false },
      ...lineEditProps,
      ...attributeProps,
    },
  },
  validate(a) {
    checkAttrArgs('blockinfile', a);
    checkValidateArg('blockinfile', a.validate);
    checkPlacement('blockinfile', a);
    const marker = a.marker ?? DEFAULT_MARKER;
    if (known(marker) && !marker.includes('{mark}')) throw new InputError(`blockinfile: marker must contain {mark}, or the begin and end markers are the same line: ${marker}`);
  },
  facts: (a: BlockInFileModuleArgs) => ({ file: editedFile(pathOf(a)) }),
  async run(a, ctx, facts) {
    const path = pathOf(a);
    const state = a.state ?? 'present';
    return editFile(
      ctx,
      facts.file,
      { path, attrs: attrsOf(a), create: a.create, backup: a.backup, validate: a.validate, absentOk: state === 'absent', missingMsg: `Path ${path} does not exist !` },
      (text) =>
        blockInFile(text, {
          block: a.block ?? '',
          marker: a.marker ?? DEFAULT_MARKER,
          marker_begin: a.marker_begin ?? 'BEGIN',
          marker_end: a.marker_end ?? 'END',
          state,
          insertafter: a.insertafter,
          insertbefore: a.insertbefore,
          append_newline: a.append_newline,
          prepend_newline: a.prepend_newline,
        }),
    );
  },
});

export default blockinfile;
