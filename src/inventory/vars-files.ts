import { readdirSync, type Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { ErrorList, InputError } from '../errors.js';
import { noteListing } from '../load/inputs.js';
import { displayPath, readYamlFile } from '../load/yaml.js';
import { isMapping, schemaProblems, type Vars } from './model.js';
import { varsFileSchema } from './schema.js';

export interface VarsLayer {
  vars: Vars;
  origins: Record<string, string>;
}

const VARS_EXT = new Set(['', '.yml', '.yaml', '.json']);

function listDir(dir: string): Dirent[] {
  try {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    noteListing(dir, entries.map((e) => e.name));
    return entries;
  } catch {
    noteListing(dir, undefined); // a plan notices the directory appearing later
    return []; // no group_vars/host_vars here: nothing to add
  }
}

/** Files for each entity name in one group_vars/ or host_vars/ dir: `<name>.yml|.yaml|.json|`, or `<name>/*.yml` in name order. */
function filesByEntity(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, file: string): void => {
    const list = out.get(name) ?? [];
    list.push(file);
    out.set(name, list);
  };
  for (const e of listDir(dir)) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      for (const f of listDir(full)) {
        if (f.isFile() && !f.name.startsWith('.') && VARS_EXT.has(extname(f.name)) && extname(f.name) !== '') add(e.name, join(full, f.name));
      }
    } else if (e.isFile() && VARS_EXT.has(extname(e.name))) {
      add(e.name.slice(0, e.name.length - extname(e.name).length), full);
    }
  }
  return out;
}

function readVarsFile(path: string, errors: ErrorList): VarsLayer {
  const layer: VarsLayer = { vars: {}, origins: {} };
  const yf = errors.guard(() => readYamlFile(path));
  if (!yf || yf.value === null || yf.value === undefined) return layer;
  if (!isMapping(yf.value)) {
    errors.add(new InputError(`vars file ${displayPath(path)} must be a mapping of variable names to values`, yf.posAt([])));
    return layer;
  }
  const problems = schemaProblems(yf, yf.value, varsFileSchema);
  if (problems.length) {
    problems.forEach((p) => errors.add(p));
    return layer;
  }
  for (const [k, v] of Object.entries(yf.value)) {
    layer.vars[k] = v;
    layer.origins[k] = `${yf.path}:${yf.keyPosAt([k]).line}`;
  }
  return layer;
}

/**
 * group_vars/ and host_vars/ layers for the given entities, from each base dir in order (later dirs
 * win). Files for names that are not in the inventory are ignored, like Ansible (without its warning).
 */
export function loadVarsFiles(
  baseDirs: string[],
  kind: 'group_vars' | 'host_vars',
  names: Iterable<string>,
  errors: ErrorList,
): Map<string, VarsLayer[]> {
  const out = new Map<string, VarsLayer[]>();
  const wanted = new Set(names);
  for (const base of baseDirs) {
    for (const [name, files] of filesByEntity(join(base, kind))) {
      if (!wanted.has(name)) continue;
      const layers = out.get(name) ?? [];
      for (const f of files) layers.push(readVarsFile(f, errors));
      out.set(name, layers);
    }
  }
  return out;
}
