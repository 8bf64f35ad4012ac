import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, type SourcePos } from '../errors.js';
import type { Vars } from '../modules/types.js';
import { displayPath, readYamlFile, type YamlFile } from '../load/yaml.js';
import type { RoleRef } from './types.js';

export interface LoadedRole extends RoleRef {
  tasks?: YamlFile;
  handlers?: YamlFile;
}

/** Where roles are looked up, in order: beside the playbook, the repo's roles/, then the cwd's. */
export function roleSearchPath(playbookDir: string): string[] {
  return [...new Set([join(playbookDir, 'roles'), resolve(playbookDir, '..', 'roles'), resolve('roles')])];
}

function optionalYaml(path: string): YamlFile | undefined {
  return existsSync(path) ? readYamlFile(path) : existsSync(path.replace(/\.yml$/, '.yaml')) ? readYamlFile(path.replace(/\.yml$/, '.yaml')) : undefined;
}

function mapping(file: YamlFile | undefined): Vars {
  if (!file || file.value == null) return {};
  if (typeof file.value !== 'object' || Array.isArray(file.value)) {
    throw new InputError(`${file.path} must be a mapping of variables`, file.posAt([]));
  }
  return file.value as Vars;
}

const cache = new Map<string, LoadedRole>();

export function loadRole(name: string, playbookDir: string, ref: SourcePos, tasksFrom = 'main'): LoadedRole {
  const dirs = roleSearchPath(playbookDir);
  const dir = dirs.map((d) => join(d, name)).find((d) => existsSync(d));
  if (!dir) throw new InputError(`role '${name}' not found (looked in ${dirs.map(displayPath).join(', ')})`, ref);
  const key = `${dir}\0${tasksFrom}`;
  let role = cache.get(key);
  if (!role) {
    const tasks = optionalYaml(join(dir, 'tasks', `${tasksFrom}.yml`));
    if (!tasks && tasksFrom !== 'main') throw new InputError(`role '${name}' has no tasks/${tasksFrom}.yml`, ref);
    role = {
      name,
      dir,
      defaults: mapping(optionalYaml(join(dir, 'defaults', 'main.yml'))),
      vars: mapping(optionalYaml(join(dir, 'vars', 'main.yml'))),
      tasks,
      handlers: optionalYaml(join(dir, 'handlers', 'main.yml')),
    };
    cache.set(key, role);
  }
  return role;
}
