/** `fabric runs`, `fabric runs show ID [--html FILE]`, `fabric runs diff A B`: reading the run history. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { EXIT, InputError } from '../errors.js';
import { historyPath, type HistoryFlag } from '../history/location.js';
import type { Database } from '../history/sqlite.js';
import type { FullRun } from '../history/store.js';
import { runListLines, runShowLines } from '../history/report-text.js';

interface RunsFlags {
  host?: string;
  changed?: boolean;
  since?: string;
  limit: string;
  json?: boolean;
  history?: HistoryFlag;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `2h`, `7d`, `1w` ago, or a date/time (`2026-05-01`, `2026-05-01T10:00`): as ISO UTC. */
export function parseSince(text: string, now = Date.now()): string {
  const rel = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNITS[rel[2]!]!).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InputError(`--since '${text}' is neither a date (2026-05-01, 2026-05-01T10:00) nor an age (30m, 2h, 7d, 1w)`);
  return new Date(t).toISOString();
}

function historyFile(flags: RunsFlags): string {
  const file = historyPath(flags.history);
  if (!file) throw new InputError('the run history is off (--no-history or FABRIC_HISTORY=off): nothing to read', undefined, 'give --history FILE');
  return file;
}

async function withHistory<T>(flags: RunsFlags, fn: (db: Database | undefined, file: string, store: typeof import('../history/store.js')) => T): Promise<T> {
  const file = historyFile(flags);
  const store = await import('../history/store.js');
  let db: Database | undefined;
  try {
    db = await store.openForRead(file);
  } catch (e) {
    throw new InputError(`the run history ${file} cannot be read: ${(e as Error).message}`);
  }
  try {
    return fn(db, file, store);
  } finally {
    db?.close();
  }
}

function runId(text: string): number {
  if (!/^\d+$/.test(text)) throw new InputError(`run id '${text}' is not a number`, undefined, 'fabric runs lists them');
  return Number(text);
}

function loadRun(db: Database | undefined, file: string, store: typeof import('../history/store.js'), id: number): FullRun {
  const run = db ? store.getRun(db, id) : undefined;
  if (!run) throw new InputError(`no run ${id} in the history ${file}`, undefined, 'fabric runs lists the recorded runs');
  return run;
}

const print = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');

export function registerRunsCommands(program: Command): void {
  const runs = program
    .command('runs')
    .description('the run history: recorded plays and ad-hoc runs (newest first)')
    .option('--host <host>', 'only runs that reached this host')
    .option('--changed', 'only runs that changed something')
    .option('--since <time>', 'only runs since a date/time or an age (30m, 2h, 7d)')
    .option('--limit <n>', 'at most this many runs', '20')
    .option('--json', 'JSON instead of text')
    .option('--history <file>', 'the history database (default .fabric/history.sqlite, or $FABRIC_HISTORY)')
    .action(async (flags: RunsFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InputError(`--limit must be a positive integer, not '${flags.limit}'`);
      const since = flags.since === undefined ? undefined : parseSince(flags.since);
      await withHistory(flags, (db, file, store) => {
        const list = db ? store.listRuns(db, { host: flags.host, changed: flags.changed, since, limit }) : [];
        if (flags.json) return print([JSON.stringify(list, null, 2)]);
        if (!list.length) return print([db ? 'no runs match' : `no runs recorded yet (${file})`]);
        print(runListLines(list));
      });
      process.exitCode = EXIT.ok;
    });

  runs
    .command('show')
    .description('one run: every task on every host, its status, duration, diff and error')
    .argument('<id>', 'the run id (fabric runs lists them)')
    .option('--json', 'JSON instead of text')
    .option('--html <file>', 'write a self-contained HTML report to this file')
    .action(async (id: string, own: { json?: boolean; html?: string }, cmd: Command) => {
      const flags = { ...(cmd.optsWithGlobals() as RunsFlags), ...own };
      const n = runId(id);
      const run = await withHistory(flags, (db, file, store) => loadRun(db, file, store, n));
      if (own.html) {
        const { renderRunHtml } = await import('../history/report-html.js');
        writeFileSync(own.html, await renderRunHtml(run));
        process.stderr.write(`wrote ${own.html}\n`);
      } else if (flags.json) print([JSON.stringify(run, null, 2)]);
      else print(runShowLines(run));
    });

  runs
    .command('diff')
    .description('per host, the tasks whose results differ between two runs (status, changed, error)')
    .argument('<a>', 'a run id')
    .argument('<b>', 'another run id')
    .option('--json', 'JSON instead of text')
    .action(async (a: string, b: string, own: { json?: boolean }, cmd: Command) => {
      const flags = { ...(cmd.optsWithGlobals() as RunsFlags), ...own };
      const ids = [runId(a), runId(b)] as const;
      const [ra, rb] = await withHistory(flags, (db, file, store) => [loadRun(db, file, store, ids[0]), loadRun(db, file, store, ids[1])] as const);
      const { compareRuns, comparisonLines } = await import('../history/compare.js');
      const c = compareRuns(ra, rb);
      print(flags.json ? [JSON.stringify(c, null, 2)] : comparisonLines(c));
    });
}
