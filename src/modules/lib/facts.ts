import { quote } from '../../quote.js';
import type { ExecResult } from '../../connection/types.js';
import { C_LOCALE, parseFileState, probeFileScript, type FileState, type ProbeOptions } from './file-state.js';
import { existsTest } from './shell-words.js';

/**
 * The host state a module reads, declared as data (a module's `facts(args)`). The engine
 * (src/run/host-facts.ts) fetches them: a section's facts ahead in one round trip, file and sysctl
 * facts merged into one script (probe-merge.ts), cached per host and dropped on any change. A
 * module gets the typed value (FactValue) and never sees a script.
 */
export type FactSpec = FileFact | SysctlFact | ExistsFact | ScriptFact<unknown>;

/** A path's type, attributes, checksum and (content) bytes; with parent, `parentMissing` when that directory is absent. */
export interface FileFact {
  kind: 'file';
  path: string;
  opts: Pick<ProbeOptions, 'content' | 'maxContentBytes' | 'follow' | 'checksum'>;
  parent?: string;
}

/** A sysctl's live value (/proc/sys) and the text of the file it is persisted in. */
export interface SysctlFact {
  kind: 'sysctl';
  proc: string;
  file: string;
}

/** Whether a path (a glob is allowed) exists: command's creates/removes. */
export interface ExistsFact {
  kind: 'exists';
  pattern: string;
  /**
   * Read only when the section's facts are read ahead anyway; otherwise the module gets undefined
   * and tests the path itself in the round trip it makes (a lone command costs one, not two).
   */
  aheadOnly?: true;
}

/** A fact only one module needs: its script (read-only, run in a subshell) and the parser of its output. */
export interface ScriptFact<T> {
  kind: 'script';
  script: string;
  parse(r: ExecResult): T;
}

export type FileFactValue = FileState & { parentMissing?: boolean };
export interface SysctlValue {
  /** Whitespace as the kernel prints it, tabs and newlines made spaces; undefined: no such key. */
  live?: string;
  /** The persisted file's text; undefined: no file. */
  file?: string;
}

export type FactValue<S> = S extends FileFact
  ? FileFactValue
  : S extends SysctlFact
    ? SysctlValue
    : S extends ExistsFact
      ? boolean | (S['aheadOnly'] extends true ? undefined : never)
      : S extends ScriptFact<infer T>
        ? T
        : never;

export type FactSpecs = Record<string, FactSpec | undefined>;
export type FactValues<F extends FactSpecs> = { [K in keyof F]: F[K] extends FactSpec ? FactValue<F[K]> : FactValue<NonNullable<F[K]>> | undefined };

export const fileFact = (path: string, opts: FileFact['opts'] = {}, parent?: string): FileFact => ({ kind: 'file', path, opts, ...(parent !== undefined ? { parent } : {}) });
export const sysctlFact = (proc: string, file: string): SysctlFact => ({ kind: 'sysctl', proc, file });
export const existsFact = (pattern: string, o: { aheadOnly?: boolean } = {}): ExistsFact => ({ kind: 'exists', pattern, ...(o.aheadOnly ? { aheadOnly: true as const } : {}) });

/** A rare fact, declared in the module's own file: `const unit = defineFact((name) => script, parse)`. */
export function defineFact<P, T>(script: (p: P) => string, parse: (r: ExecResult, p: P) => T): (p: P) => ScriptFact<T> {
  return (p) => ({ kind: 'script', script: script(p), parse: (r) => parse(r, p) });
}

/** What identifies a fact in a host's cache: equal keys are the same read. */
export function factKey(spec: FactSpec): string {
  if (spec.kind === 'script') return `script\0${spec.script}`;
  if (spec.kind === 'exists') return `exists\0${spec.pattern}`;
  return JSON.stringify(spec);
}

/** The script that reads spec alone (a merged batch reads file and sysctl facts together instead). */
export function factScript(spec: FactSpec): string {
  switch (spec.kind) {
    case 'script':
      return `(\n${spec.script}\n)`;
    case 'exists':
      return `if ${existsTest(spec.pattern)}; then echo 1; else echo 0; fi`;
    case 'sysctl': {
      // Not the shell's `read`: it reads a byte at a time, and /proc/sys answers only a whole-file read.
      const proc = quote(spec.proc);
      const file = quote(spec.file);
      return [
        `if [ -r ${proc} ]; then printf 'live:%s\\n' "$(${C_LOCALE} tr '\\t\\n' '  ' < ${proc})"; else echo nolive; fi`,
        `if [ -f ${file} ]; then echo file; ${C_LOCALE} base64 < ${file}; else echo nofile; fi`,
      ].join('\n');
    }
    case 'file': {
      const probe = probeFileScript(spec.path, spec.opts);
      return spec.parent === undefined ? probe : `if [ ! -d ${quote(spec.parent)} ]; then echo no-parent; else\n${probe}\nfi`;
    }
  }
}

/** A fact that could not be read: the task that needs it fails with this message. */
export class FactError extends Error {}

/** The typed value of spec from what factScript(spec) printed. */
export function parseFact(spec: FactSpec, r: ExecResult): unknown {
  if (spec.kind === 'script') return spec.parse(r);
  if (r.rc !== 0) throw new FactError(`cannot read ${spec.kind === 'sysctl' ? spec.proc : spec.kind === 'file' ? spec.path : spec.pattern}: ${r.stderr.trim() || `exit ${r.rc}`}`);
  switch (spec.kind) {
    case 'exists':
      return r.stdout.trim() === '1';
    case 'sysctl': {
      const [liveLine = '', fileLine = '', ...rest] = r.stdout.split('\n');
      return {
        live: liveLine.startsWith('live:') ? liveLine.slice(5) : undefined,
        file: fileLine === 'file' ? Buffer.from(rest.join(''), 'base64').toString('utf8') : undefined,
      } satisfies SysctlValue;
    }
    case 'file':
      if (r.stdout.startsWith('no-parent')) return { type: 'absent', path: spec.path, parentMissing: true } satisfies FileFactValue;
      return parseFileState(r.stdout, { ...spec.opts, content: !!spec.opts.content, path: spec.path });
  }
}
