/**
 * ini_file on a file's text, by the rules of community.general's ini_file (6.x, the one Debian's
 * ansible ships): a section found by its `[name]` prefix, options matched with an optional comment
 * sign before them, values deduplicated, missing ones added after the section's last content
 * line, a missing section appended. Whatever those rules do, this does (a new file starts with
 * an empty line, as there).
 */
import type { EditResult } from './line-edit.js';
import { readLines } from './line-edit.js';

export interface IniArgs {
  section?: string;
  option?: string;
  values: string[];
  state: 'present' | 'absent';
  exclusive: boolean;
  noExtraSpaces: boolean;
  allowNoValue: boolean;
}

const FAKE = '[ad01e11446efb704fcdbdb21f2c43757423d91c5]';
const BLANK_OR_COMMENT = /^[ \t]*([#;].*)?$/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\\-\/ #&~]/g, '\\$&');

/** The option on a line (commented out or not): its value, or undefined when the line is not that option. */
function optionValue(option: string, line: string, active: boolean): string | undefined {
  const m = new RegExp(`^${active ? '' : '[#;]?'}( |\\t)*(${escape(option)})( |\\t)*(=|$)( |\\t)*(.*)`).exec(line.replace(/\n$/, ''));
  return m ? m[6]! : undefined;
}

export function iniEdit(original: string | null, a: IniArgs): EditResult {
  const values: string[] = [];
  for (const v of a.values) if (!values.includes(v)) values.push(v);
  let lines = original === null ? [] : readLines(original.replace(/^\uFEFF/, ''));
  let changed = false;
  let msg = 'OK';
  if (!lines.length) lines.push('\n');
  if (!lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }
  lines = [FAKE, ...lines, '['];
  const section = a.section ? a.section : FAKE.slice(1, -1);
  const assign = (v: string) => (a.noExtraSpaces ? `${a.option}=${v}\n` : `${a.option} = ${v}\n`);

  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith(`[${section}]`)) {
      within = true;
      start = i;
    } else if (lines[i]!.startsWith('[') && within) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start);
  let sect = lines.slice(start, end);
  const after = lines.slice(end);
  let touched = sect.map(() => false);
  const update = (i: number, line: string) => {
    if (sect[i] !== line) {
      changed = true;
      msg = 'option changed';
    }
    sect[i] = line;
    touched[i] = true;
  };
  let noValuePresent = false;
  const opt = a.option;

  if (a.state === 'present' && opt) {
    for (let i = 0; i < sect.length; i++) {
      const v = optionValue(opt, sect[i]!, false);
      if (v === undefined) continue;
      if (values.length && values.includes(v)) {
        if (!v && a.allowNoValue) {
          update(i, `${opt}\n`);
          noValuePresent = true;
        } else update(i, assign(v));
        values.splice(values.indexOf(v), 1);
      } else if (!values.length && a.allowNoValue) {
        update(i, `${opt}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (a.state === 'present' && a.exclusive && !a.allowNoValue) {
    if (values.length) {
      for (let i = 0; i < sect.length; i++) {
        if (touched[i] || optionValue(opt ?? '', sect[i]!, false) === undefined) continue;
        update(i, assign(values.shift()!));
        if (!values.length) break;
      }
    }
    for (let i = sect.length - 1; i > 0; i--) {
      if (!touched[i] && optionValue(opt ?? '', sect[i]!, false) !== undefined) {
        sect.splice(i, 1);
        touched.splice(i, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }
  if (a.state === 'present') {
    for (let i = sect.length; i > 0; i--) {
      if (BLANK_OR_COMMENT.test(sect[i - 1]!.replace(/\n$/, ''))) continue;
      if (opt && values.length) {
        sect.splice(i, 0, ...values.map(assign));
        msg = 'option added';
        changed = true;
      } else if (opt && !values.length && a.allowNoValue && !noValuePresent) {
        sect.splice(i, 0, `${opt}\n`);
        msg = 'option added';
        changed = true;
      }
      break;
    }
  }
  if (a.state === 'absent') {
    if (opt) {
      const kept = sect.filter((l) => {
        const v = optionValue(opt, l, true);
        return v === undefined || (!a.exclusive && !values.includes(v));
      });
      if ((a.exclusive || values.length) && kept.length !== sect.length) {
        changed = true;
        msg = 'option changed';
        sect = kept;
      }
    } else if (sect.length) {
      sect = [];
      msg = 'section removed';
      changed = true;
    }
  }
  touched = [];
  let out = [...before, ...sect, ...after].slice(1, -1);
  if (!within && a.state === 'present') {
    out = [...out, `[${section}]\n`];
    msg = 'section and option added';
    if (opt && values.length) out.push(...values.map(assign));
    else if (opt && !values.length && a.allowNoValue) out.push(`${opt}\n`);
    else msg = 'only section added';
    changed = true;
  }
  const text = out.join('');
  return { text, changed: changed && text !== (original ?? ''), msg };
}
