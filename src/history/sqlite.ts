/**
 * better-sqlite3, loaded only when history is read or written: `fabric --help` and runs with
 * --no-history never load it. Its JavaScript is bundled (a chunk of its own, so a run does not
 * resolve a dozen files), and its addon is loaded by path, skipping the `bindings` package's search.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface Transaction<A extends unknown[], R> {
  (...args: A): R;
  /** BEGIN IMMEDIATE: takes the write lock first, so two writers wait (busy timeout) instead of deadlocking. */
  immediate(...args: A): R;
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, opts?: { simple: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R>;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
  /** Busy timeout in ms: how long a statement waits for another process's lock. */
  timeout?: number;
  /** The addon's path. */
  nativeBinding?: string;
}

type DatabaseConstructor = new (file: string, opts?: OpenOptions) => Database;

let loaded: { ctor: DatabaseConstructor; addon: string } | undefined;

/** Loads the library (once); call before openSqlite. */
export async function loadSqlite(): Promise<void> {
  if (loaded) return;
  const ctor = (await import('better-sqlite3')).default as DatabaseConstructor;
  const addon = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  loaded = { ctor, addon };
}

export function openSqlite(file: string, opts: OpenOptions): Database {
  if (!loaded) throw new Error('internal: loadSqlite() was not awaited before openSqlite()');
  return new loaded.ctor(file, { nativeBinding: loaded.addon, ...opts });
}
