/**
 * Modules of one's own: every `library/` folder beside a playbook and in the roles it can use
 * holds modules written like the built-ins. They are loaded, checked and listed before any host
 * is touched; a task names them as it names a built-in.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { noteInputPath } from '../load/inputs.js';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';
import { compileSchema } from '../load/schema.js';
import { displayPath } from '../load/yaml.js';
import { LIBRARY_API } from './api.js';
import type { ModuleDef } from '../modules/types.js';

const EXTENSIONS = ['.js', '.mjs', '.ts'];

export interface LibraryModule {
  def: ModuleDef<any>;
  file: string;
}

/** The library folders for playbooks in these dirs: `<dir>/library` and `<roles>/<role>/library` of the role search path. */
export function libraryDirs(playbookDirs: string[], roleDirs: string[]): string[] {
  const dirs = playbookDirs.map((d) => join(d, 'library'));
  for (const r of roleDirs) {
    if (!existsSync(r)) continue;
    for (const role of readdirSync(r).sort()) dirs.push(join(r, role, 'library'));
  }
  return [...new Set(dirs)].filter((d) => existsSync(d) && statSync(d).isDirectory());
}

/** The JavaScript of a module file: TypeScript is compiled with esbuild (installed with fabric's dev tools). */
async function javascriptOf(file: string): Promise<string | undefined> {
  if (extname(file) !== '.ts') return undefined;
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new InputError(`library module ${displayPath(file)} is TypeScript, and esbuild (npm install in fabric's folder) is not installed to compile it; write it as .js or .mjs`, { file, line: 1, col: 1 });
  }
  try {
    return (await esbuild.transform(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', sourcefile: file })).code;
  } catch (e) {
    const err = (e as { errors?: Array<{ text: string; location?: { line: number; column: number } }> }).errors?.[0];
    throw new InputError(`library module: ${err?.text ?? (e as Error).message}`, { file, line: err?.location?.line ?? 1, col: (err?.location?.column ?? 0) + 1 });
  }
}

async function loadOne(file: string): Promise<ModuleDef<any>> {
  noteInputPath(file);
  const at = { file, line: 1, col: 1 };
  const name = basename(file, extname(file));
  let exported: unknown;
  try {
    const js = await javascriptOf(file);
    const url = js === undefined ? pathToFileURL(file).href : `data:text/javascript;base64,${Buffer.from(js).toString('base64')}`;
    exported = ((await import(url)) as { default?: unknown }).default;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`library module ${displayPath(file)} does not load: ${(e as Error).message}`, at);
  }
  const def = (typeof exported === 'function' ? (exported as (api: typeof LIBRARY_API) => unknown)(LIBRARY_API) : exported) as Partial<ModuleDef<any>> | undefined;
  const bad = (why: string): never => {
    throw new InputError(`library module ${displayPath(file)}: ${why}`, at, 'export default defineModule({ name, schema, facts?, validate?, run }) (README: Modules of your own)');
  };
  if (!def || typeof def !== 'object') return bad('its default export is not a module definition (or a function returning one)');
  if (def.name !== name) bad(`its name is '${String(def.name)}', but the file says '${name}' (a task names the module by its file)`);
  if (!def.schema || typeof def.schema !== 'object') bad('it has no schema (a JSON schema of its arguments)');
  if (typeof def.run !== 'function') bad('it has no run(args, ctx, facts) function');
  for (const k of ['facts', 'validate', 'defines'] as const) if (def[k] !== undefined && typeof def[k] !== 'function') bad(`its ${k} is not a function`);
  try {
    compileSchema(def.schema!);
  } catch (e) {
    bad(`its schema does not compile: ${(e as Error).message}`);
  }
  return def as ModuleDef<any>;
}

/** Every module in the folders; a name used twice, or the name of a built-in, is an input error. */
export async function loadLibraries(dirs: string[], builtins: ReadonlySet<string>): Promise<LibraryModule[]> {
  const out: LibraryModule[] = [];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).sort()) {
      if (!EXTENSIONS.includes(extname(f)) || f.endsWith('.d.ts')) continue;
      const file = join(dir, f);
      const def = await loadOne(file);
      const at = { file, line: 1, col: 1 };
      if (builtins.has(def.name)) throw new InputError(`library module '${def.name}' has the name of a fabric module; give it a name of its own`, at);
      const twice = out.find((m) => m.def.name === def.name);
      if (twice) throw new InputError(`library module '${def.name}' is defined twice: here and in ${displayPath(twice.file)}`, at);
      out.push({ def, file });
    }
  }
  return out;
}
