/**
 * The run history database: one SQLite file (WAL, busy timeout), one transaction per run.
 * Rows are written already masked (src/history/record.ts); this file only stores and reads them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileDiff } from '../modules/types.js';
import type { HostStats, HostStatus } from '../run/events.js';
import { loadSqlite, openSqlite, type Database } from './sqlite.js';

export interface RunRecord {
  startedAt: string;
  durationMs: number;
  /** play, run, facts, apply. */
  command: string;
  argv: string[];
  cwd: string;
  user: string;
  controller: string;
  playbooks: string[];
  check: boolean;
  git: GitState | null;
  exitCode: number | null;
  interrupted: boolean;
  stats: Record<string, HostStats>;
  results: ResultRecord[];
}

export interface GitState {
  root: string;
  commit: string | null;
  /** Uncommitted changes to tracked files. */
  dirty: boolean;
}

export interface ResultRecord {
  /** Which task run within the run (a handler flushed twice is two). */
  taskSeq: number;
  play: string;
  task: string;
  module: string;
  file: string;
  line: number;
  handler: boolean;
  host: string;
  status: HostStatus;
  changed: boolean;
  ignored: boolean;
  /** Since the run started, for the timeline. */
  startedMs: number;
  durationMs: number;
  error: string | null;
  diff: FileDiff[] | null;
  delegatedTo: string | null;
}

export interface StoredRun extends Omit<RunRecord, 'results'> {
  id: number;
  hosts: string[];
}

export interface RunFilter {
  host?: string;
  changed?: boolean;
  /** ISO 8601 UTC. */
  since?: string;
  limit: number;
}

/** How long a write waits for another run's transaction before giving up (and warning). */
export const BUSY_TIMEOUT_MS = Number(process.env.FABRIC_HISTORY_BUSY_MS) > 0 ? Math.floor(Number(process.env.FABRIC_HISTORY_BUSY_MS)) : 5000;

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  command TEXT NOT NULL,
  argv TEXT NOT NULL,
  cwd TEXT NOT NULL,
  user TEXT NOT NULL,
  controller TEXT NOT NULL,
  playbooks TEXT NOT NULL,
  check_mode INTEGER NOT NULL,
  git_root TEXT,
  git_commit TEXT,
  git_dirty INTEGER,
  exit_code INTEGER,
  interrupted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_hosts (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  ok INTEGER NOT NULL, changed INTEGER NOT NULL, unreachable INTEGER NOT NULL, failed INTEGER NOT NULL,
  skipped INTEGER NOT NULL, rescued INTEGER NOT NULL, ignored INTEGER NOT NULL,
  PRIMARY KEY (run_id, host)
);
CREATE INDEX IF NOT EXISTS run_hosts_host ON run_hosts(host, run_id);
CREATE TABLE IF NOT EXISTS results (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  task_seq INTEGER NOT NULL,
  play TEXT NOT NULL,
  task TEXT NOT NULL,
  module TEXT NOT NULL,
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  handler INTEGER NOT NULL,
  host TEXT NOT NULL,
  status TEXT NOT NULL,
  changed INTEGER NOT NULL,
  ignored INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  error TEXT,
  diff TEXT,
  delegated_to TEXT,
  PRIMARY KEY (run_id, seq)
);
`;

/** The schema, created on first use; a database from a newer fabric is refused rather than misread. */
function prepareSchema(db: Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) throw new Error(`written by a newer fabric (schema ${version}; this one reads ${SCHEMA_VERSION})`);
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function openForWrite(file: string): Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = openSqlite(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL: readers never block the writer and a crashed writer leaves nothing for the next run to clean up.
    db.pragma('journal_mode = WAL');
    // OFF: no fsync, which was most of what recording cost a no-op rerun (README: Run history). A
    // crashed or killed fabric still loses nothing; only an OS crash or power cut may cost the file.
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = ON');
    prepareSchema(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export interface HistoryWriter {
  /** Stores one run in one transaction; returns its id. */
  save(run: RunRecord): number;
  close(): void;
}

/**
 * Opens (and on first use creates) the history for writing: the library loaded, WAL on, the
 * schema ready. The recorder calls this as the run starts, so the run's end pays only the write.
 */
export async function openHistoryWriter(file: string): Promise<HistoryWriter> {
  await loadSqlite();
  const db = openForWrite(file);
  return { save: (run) => insertRun(db, run), close: () => db.close() };
}

/** Opens, stores one run, closes (tests, and whoever records outside a run). */
export async function saveRun(file: string, run: RunRecord): Promise<number> {
  const w = await openHistoryWriter(file);
  try {
    return w.save(run);
  } finally {
    w.close();
  }
}

function insertRun(db: Database, run: RunRecord): number {
  const insertRun = db.prepare(
    `INSERT INTO runs (started_at, duration_ms, command, argv, cwd, user, controller, playbooks, check_mode, git_root, git_commit, git_dirty, exit_code, interrupted)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertHost = db.prepare(`INSERT INTO run_hosts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertResult = db.prepare(`INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return db
    .transaction(() => {
      const id = Number(
        insertRun.run(
          run.startedAt,
          Math.round(run.durationMs),
          run.command,
          JSON.stringify(run.argv),
          run.cwd,
          run.user,
          run.controller,
          JSON.stringify(run.playbooks),
          run.check ? 1 : 0,
          run.git?.root ?? null,
          run.git?.commit ?? null,
          run.git ? (run.git.dirty ? 1 : 0) : null,
          run.exitCode,
          run.interrupted ? 1 : 0,
        ).lastInsertRowid,
      );
      for (const [host, s] of Object.entries(run.stats)) insertHost.run(id, host, s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored);
      run.results.forEach((r, seq) =>
        insertResult.run(
          id, seq, r.taskSeq, r.play, r.task, r.module, r.file, r.line, r.handler ? 1 : 0, r.host, r.status, r.changed ? 1 : 0, r.ignored ? 1 : 0,
          Math.round(r.startedMs), Math.round(r.durationMs), r.error, r.diff ? JSON.stringify(r.diff) : null, r.delegatedTo,
        ),
      );
      return id;
    })
    .immediate();
}

/** The database for reading, or undefined when no run was ever recorded there. */
export async function openForRead(file: string): Promise<Database | undefined> {
  if (!existsSync(file)) return undefined;
  await loadSqlite();
  const db = openSqlite(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) throw new Error(`written by a newer fabric (schema ${version}; this one reads ${SCHEMA_VERSION})`);
    // A file created but never written (a run that failed before its first transaction) holds no runs.
    if (version < SCHEMA_VERSION) {
      db.close();
      return undefined;
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

interface RunRow {
  id: number;
  started_at: string;
  duration_ms: number;
  command: string;
  argv: string;
  cwd: string;
  user: string;
  controller: string;
  playbooks: string;
  check_mode: number;
  git_root: string | null;
  git_commit: string | null;
  git_dirty: number | null;
  exit_code: number | null;
  interrupted: number;
}

interface HostRow extends HostStats {
  run_id: number;
  host: string;
}

interface ResultRow {
  task_seq: number;
  play: string;
  task: string;
  module: string;
  file: string;
  line: number;
  handler: number;
  host: string;
  status: HostStatus;
  changed: number;
  ignored: number;
  started_ms: number;
  duration_ms: number;
  error: string | null;
  diff: string | null;
  delegated_to: string | null;
}

function hostStats(r: HostRow): HostStats {
  return { ok: r.ok, changed: r.changed, unreachable: r.unreachable, failed: r.failed, skipped: r.skipped, rescued: r.rescued, ignored: r.ignored };
}

function storedRun(row: RunRow, hosts: HostRow[]): StoredRun {
  const stats: Record<string, HostStats> = {};
  for (const h of hosts) stats[h.host] = hostStats(h);
  return {
    id: row.id,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    command: row.command,
    argv: JSON.parse(row.argv) as string[],
    cwd: row.cwd,
    user: row.user,
    controller: row.controller,
    playbooks: JSON.parse(row.playbooks) as string[],
    check: row.check_mode === 1,
    git: row.git_root === null ? null : { root: row.git_root, commit: row.git_commit, dirty: row.git_dirty === 1 },
    exitCode: row.exit_code,
    interrupted: row.interrupted === 1,
    stats,
    hosts: hosts.map((h) => h.host),
  };
}

/** Newest first. */
export function listRuns(db: Database, f: RunFilter): StoredRun[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.host !== undefined) {
    where.push('EXISTS (SELECT 1 FROM run_hosts h WHERE h.run_id = runs.id AND h.host = ?)');
    params.push(f.host);
  }
  if (f.changed) where.push('EXISTS (SELECT 1 FROM run_hosts h WHERE h.run_id = runs.id AND h.changed > 0)');
  if (f.since !== undefined) {
    where.push('started_at >= ?');
    params.push(f.since);
  }
  const rows = db.prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(...params, f.limit) as RunRow[];
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const hosts = db.prepare(`SELECT * FROM run_hosts WHERE run_id IN (${ids.map(() => '?').join(',')}) ORDER BY run_id, host`).all(...ids) as HostRow[];
  const byRun = new Map<number, HostRow[]>();
  for (const h of hosts) byRun.set(h.run_id, [...(byRun.get(h.run_id) ?? []), h]);
  return rows.map((r) => storedRun(r, byRun.get(r.id) ?? []));
}

export interface FullRun extends StoredRun {
  results: ResultRecord[];
}

export function getRun(db: Database, id: number): FullRun | undefined {
  const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!row) return undefined;
  const hosts = db.prepare('SELECT * FROM run_hosts WHERE run_id = ? ORDER BY host').all(id) as HostRow[];
  const results = (db.prepare('SELECT * FROM results WHERE run_id = ? ORDER BY seq').all(id) as ResultRow[]).map(
    (r): ResultRecord => ({
      taskSeq: r.task_seq,
      play: r.play,
      task: r.task,
      module: r.module,
      file: r.file,
      line: r.line,
      handler: r.handler === 1,
      host: r.host,
      status: r.status,
      changed: r.changed === 1,
      ignored: r.ignored === 1,
      startedMs: r.started_ms,
      durationMs: r.duration_ms,
      error: r.error,
      diff: r.diff === null ? null : (JSON.parse(r.diff) as FileDiff[]),
      delegatedTo: r.delegated_to,
    }),
  );
  // Hosts with results but no recap line (an interrupted run) still show.
  const all = [...new Set([...hosts.map((h) => h.host), ...results.map((r) => r.host)])].sort();
  return { ...storedRun(row, hosts), hosts: all, results };
}
