import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, type SourcePos } from '../errors.js';
import { schemaErrors, type Locator } from '../load/schema.js';
import { noteInputPath } from '../load/inputs.js';
import { displayPath } from '../load/yaml.js';
import type { ModuleDef, StaticContext } from '../modules/types.js';
import { checkTemplate, isTemplated } from '../vars/template.js';

/** Where a task's module arguments are written: errors about them point there, in check and at run time alike. */
export interface ArgsSite {
  loc: Locator;
  path: (string | number)[];
  pos: SourcePos;
}

/**
 * A task's files: the one search path for `src` of copy and template, used by `check` and by the
 * run alike: the role's (or playbook's) files/ or templates/, the playbook's, then relative to
 * the role or playbook directory. A template checked here reports its text to onTemplate.
 */
export function taskStatics(baseDir: string, playbookDir: string, pos: SourcePos, onTemplate?: (text: string) => void): StaticContext {
  return {
    resolveFile(kind, src) {
      const candidates = src.startsWith('/') ? [src] : [...new Set([join(baseDir, kind, src), join(playbookDir, kind, src), resolve(baseDir, src)])];
      const found = candidates.find((c) => existsSync(c));
      if (!found) throw new InputError(`${kind === 'templates' ? 'template' : kind === 'vars' ? 'vars file' : 'file'} '${src}' not found (looked in ${candidates.map(displayPath).join(', ')})`, pos);
      noteInputPath(found);
      return found;
    },
    checkTemplate(text, where) {
      checkTemplate(text, { file: where, line: 1, col: 1 });
      onTemplate?.(text);
    },
  };
}

/**
 * The module's argument checks: its schema, then its own validate(). Before the run (rendered
 * false) a `{{ }}` value is left to the schema check after rendering; rendered, every value is
 * judged. Both give the same messages at the same place.
 */
export function argErrors(def: ModuleDef<any, any>, args: Record<string, unknown>, site: ArgsSite, statics: StaticContext, rendered: boolean): InputError[] {
  const errs = schemaErrors(def.schema, args, site.loc, site.path, def.name, rendered ? undefined : (v) => typeof v === 'string' && isTemplated(v));
  if (errs.length) return errs;
  try {
    def.validate?.(args, statics);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return [e.pos ? e : new InputError(e.message, site.pos, e.hint)];
  }
  return [];
}
