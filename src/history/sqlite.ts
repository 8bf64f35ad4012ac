/**
 * better-sqlite3, loaded only when history is read or written: `fabric --help` and runs with
 * --no-history never load the native addon. Typed here by the few calls fabric makes.
 */
import { createRequire } from 'node:module';

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
}

type DatabaseConstructor = new (file: string, opts?: OpenOptions) => Database;

let ctor: DatabaseConstructor | undefined;

export function openSqlite(file: string, opts: OpenOptions): Database {
  ctor ??= createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
  return new ctor(file, opts);
}
