import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../errors.js';
import { readYamlFile } from '../load/yaml.js';
import { isTemplated } from '../vars/template.js';
import { defineModule, type StaticContext, type Vars } from './types.js';

export interface IncludeVarsArgs {
  free_form?: string;
  file?: string;
  dir?: string;
  name?: string;
  depth?: number;
  files_matching?: string;
  ignore_files?: string[];
  extensions?: string[];
}

/** The files to read: `file`, or `dir`'s files (sorted, by depth, extension, pattern, ignore list), as Ansible picks them. */
function filesOf(a: IncludeVarsArgs, statics: StaticContext): string[] {
  const file = a.file ?? a.free_form;
  if (file !== undefined) return [statics.resolveFile('vars', file)];
  const root = statics.resolveFile('vars', a.dir!);
  const exts = (a.extensions ?? ['json', 'yaml', 'yml']).map((e) => e.replace(/^\./, ''));
  const matching = a.files_matching === undefined ? undefined : new RegExp(a.files_matching);
  const out: string[] = [];
  const walk = (dir: string, level: number) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!a.depth || level < a.depth) walk(p, level + 1);
      } else if (exts.includes(extname(name).slice(1)) && !(a.ignore_files ?? []).includes(name) && (!matching || matching.test(name))) out.push(p);
    }
  };
  walk(root, 1);
  return out;
}

/** The variables of the files, later files winning; under `name` when given. Errors name the file and line. */
function readVars(a: IncludeVarsArgs, statics: StaticContext): Vars {
  const vars: Vars = {};
  for (const f of filesOf(a, statics)) {
    const yf = readYamlFile(f);
    if (yf.value === null || yf.value === undefined) continue;
    if (typeof yf.value !== 'object' || Array.isArray(yf.value)) throw new InputError('include_vars: a vars file must hold a mapping', yf.posAt([]));
    for (const k of Object.keys(yf.value)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`include_vars: '${k}' is not a valid variable name`, yf.keyPosAt([k]));
    Object.assign(vars, yf.value);
  }
  return a.name === undefined ? vars : { [a.name]: vars };
}

/** Whether the files are known before the run (no template in the path): then check reads them too. */
const staticArgs = (a: IncludeVarsArgs) => ![a.file, a.free_form, a.dir, a.name].some((v) => typeof v === 'string' && isTemplated(v));

export default defineModule<IncludeVarsArgs>({
  name: 'include_vars',
  controllerOnly: true,
  freeForm: 'free_form',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      free_form: { type: 'string', minLength: 1, description: 'The file (include_vars: vars/x.yml).' },
      file: { type: 'string', minLength: 1, description: "A YAML or JSON file of variables: the role's vars/, then the playbook's vars/, then relative to the role or playbook." },
      dir: { type: 'string', minLength: 1, description: 'Every vars file in this directory, in name order (later wins).' },
      name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Put the variables under this one name instead of at the top.' },
      depth: { type: 'integer', minimum: 0, description: 'With dir: how deep to look (0: all the way).' },
      files_matching: { type: 'string', description: 'With dir: only file names this regular expression matches.' },
      ignore_files: { type: 'array', items: { type: 'string' }, description: 'With dir: file names to leave out.' },
      extensions: { type: 'array', items: { type: 'string' }, description: 'With dir: file extensions to read (default json, yaml, yml).' },
    },
  },
  validate(a, statics) {
    const given = [a.free_form, a.file, a.dir].filter((x) => x !== undefined).length;
    if (given !== 1) throw new InputError('include_vars: give exactly one of a file (free form or file:) or dir:');
    if (a.dir === undefined && (a.depth !== undefined || a.files_matching !== undefined || a.ignore_files !== undefined || a.extensions !== undefined)) {
      throw new InputError('include_vars: depth, files_matching, ignore_files and extensions go with dir:');
    }
    if (a.files_matching !== undefined) {
      try {
        new RegExp(a.files_matching);
      } catch (e) {
        throw new InputError(`include_vars: files_matching is not a regular expression: ${(e as Error).message}`);
      }
    }
    if (staticArgs(a)) readVars(a, statics);
  },
  defines(a, statics) {
    if (a.name !== undefined) return [a.name];
    return staticArgs(a) ? Object.keys(readVars(a, statics)) : undefined;
  },
  async run(a, ctx) {
    const facts = readVars(a, ctx);
    return { changed: false, facts, factsAreTemplates: true, ansible_included_var_files: filesOf(a, ctx) };
  },
});
