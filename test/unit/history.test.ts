import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/runs.js';
import { compareRuns, comparisonLines } from '../../src/history/compare.js';
import { historyPath } from '../../src/history/location.js';
import { HistoryRecorder } from '../../src/history/record.js';
import { getRun, listRuns, openForRead, saveRun, type FullRun, type ResultRecord } from '../../src/history/store.js';
import type { HostResult, Reporter, RunEvent, TaskInfo } from '../../src/run/events.js';
import { registerSecret } from '../../src/vars/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-history-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('where the history lives', () => {
  const cwd = '/proj';
  it('defaults to .fabric/history.sqlite in the current directory', () => {
    expect(historyPath(undefined, {}, cwd)).toBe('/proj/.fabric/history.sqlite');
  });
  it('FABRIC_HISTORY is a path (relative to the directory) or off', () => {
    expect(historyPath(undefined, { FABRIC_HISTORY: 'h.db' }, cwd)).toBe('/proj/h.db');
    expect(historyPath(undefined, { FABRIC_HISTORY: '/x/h.db' }, cwd)).toBe('/x/h.db');
    expect(historyPath(undefined, { FABRIC_HISTORY: 'off' }, cwd)).toBeUndefined();
    expect(historyPath(undefined, { FABRIC_HISTORY: '0' }, cwd)).toBeUndefined();
  });
  it('--no-history and --history FILE win over the environment', () => {
    expect(historyPath(false, { FABRIC_HISTORY: '/x/h.db' }, cwd)).toBeUndefined();
    expect(historyPath('mine.db', { FABRIC_HISTORY: 'off' }, cwd)).toBe('/proj/mine.db');
  });
});

describe('--since', () => {
  const now = Date.parse('2026-05-10T12:00:00Z');
  it('takes an age or a date', () => {
    expect(parseSince('2h', now)).toBe('2026-05-10T10:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2026-05-03T12:00:00.000Z');
    expect(parseSince('2026-05-01T00:00:00Z', now)).toBe('2026-05-01T00:00:00.000Z');
  });
  it('refuses anything else as bad input', () => {
    expect(() => parseSince('yesterday-ish', now)).toThrow(/--since 'yesterday-ish' is neither a date/);
  });
});

const task = (id: number, name: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({ id, name, module: 'copy', file: 'pb.yml', line: id * 3, handler: false, noLog: false, ...extra });
const outcome = (status: HostResult['status'], result: HostResult['result'], durationMs = 12): HostResult => ({ status, result, durationMs });

/** Feeds events through a recorder over a renderer that only counts them. */
async function recordEvents(file: string, events: RunEvent[], argv = ['play', 'pb.yml']): Promise<{ seen: number }> {
  const inner = { seen: 0, closed: false };
  const reporter: Reporter = {
    onEvent: () => void inner.seen++,
    close: async () => void (inner.closed = true),
  };
  const rec = new HistoryRecorder(reporter, { file, argv, playbooks: [join(dir, 'pb.yml')], check: false });
  for (const e of events) rec.onEvent(e);
  await rec.close();
  expect(inner.closed).toBe(true);
  return inner;
}

const stats = (changed: number, failed = 0) => ({ ok: 2, changed, unreachable: 0, failed, skipped: 0, rescued: 0, ignored: 0 });

function events(secret: string, second: 'changed' | 'ok' | 'failed'): RunEvent[] {
  const t1 = task(1, 'write config');
  const t2 = task(2, 'hidden', { noLog: true, module: 'command' });
  return [
    { type: 'play_start', name: 'site', hosts: ['w1', 'w2'], check: false },
    { type: 'task_start', task: t1, hosts: ['w1', 'w2'] },
    { type: 'host_result', task: t1, host: 'w1', outcome: outcome('changed', { changed: true, diff: [{ path: '/etc/x', before: 'a\n', after: `pw=${secret}\n` }] }) },
    {
      type: 'host_result',
      task: t1,
      host: 'w2',
      outcome: second === 'failed' ? outcome('failed', { changed: false, failed: true, msg: `cannot write ${secret}` }) : outcome(second, { changed: second === 'changed' }),
    },
    { type: 'task_end', task: t1 },
    { type: 'task_start', task: t2, hosts: ['w1'] },
    { type: 'host_result', task: t2, host: 'w1', outcome: outcome('failed', { changed: false, failed: true, msg: `leaks ${secret}` }) },
    { type: 'task_end', task: t2 },
    { type: 'play_end', name: 'site' },
    { type: 'run_end', stats: { w1: stats(1), w2: stats(second === 'changed' ? 1 : 0, second === 'failed' ? 1 : 0) }, exitCode: second === 'failed' ? 2 : 0, interrupted: false },
  ];
}

describe('the recorder', () => {
  const file = join(dir, 'rec', 'history.sqlite');
  const secret = 'S3cret-value-xyz';
  registerSecret(secret);
  let first: FullRun;
  let second: FullRun;

  it('passes every event on and stores the run, its hosts and results in a new file', async () => {
    const inner = await recordEvents(file, events(secret, 'changed'), ['play', 'pb.yml', '-e', `pw=${secret}`]);
    expect(inner.seen).toBe(10);
    await recordEvents(file, events(secret, 'failed'));
    const db = (await openForRead(file))!;
    try {
      const runs = listRuns(db, { limit: 10 });
      expect(runs.map((r) => r.id)).toEqual([2, 1]);
      first = getRun(db, 1)!;
      second = getRun(db, 2)!;
      expect(listRuns(db, { limit: 10, host: 'w2' }).length).toBe(2);
      expect(listRuns(db, { limit: 10, host: 'nope' }).length).toBe(0);
      expect(listRuns(db, { limit: 1 }).map((r) => r.id)).toEqual([2]);
      expect(listRuns(db, { limit: 10, since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
    } finally {
      db.close();
    }
    expect(first.command).toBe('play');
    expect(first.hosts).toEqual(['w1', 'w2']);
    expect(first.stats.w1!.changed).toBe(1);
    expect(first.results.map((r) => [r.host, r.task, r.status, r.changed])).toEqual([
      ['w1', 'write config', 'changed', true],
      ['w2', 'write config', 'changed', true],
      ['w1', 'hidden', 'failed', false],
    ]);
    expect(first.results[0]!.durationMs).toBe(12);
    expect(first.results[0]!.diff![0]!.path).toBe('/etc/x');
    expect(second.results[1]!.error).toContain('cannot write');
  });

  it('masks every secret: argv, diffs, error messages; a no_log task keeps only its status', () => {
    const all = JSON.stringify([first, second]);
    expect(all).not.toContain(secret);
    expect(first.argv).toEqual(['play', 'pb.yml', '-e', 'pw=********']);
    expect(first.results[0]!.diff![0]!.after).toBe('pw=********\n');
    expect(second.results[1]!.error).toBe('cannot write ********');
    expect(first.results[2]!.error).toBe('(output hidden: no_log)');
  });

  it('compares two runs per host: status, changed, error', () => {
    const c = compareRuns(first, second);
    expect(c.hosts.find((h) => h.host === 'w1')!.differences).toEqual([]);
    const w2 = c.hosts.find((h) => h.host === 'w2')!.differences;
    expect(w2).toHaveLength(1);
    expect(w2[0]).toMatchObject({ task: 'write config', a: { status: 'changed', changed: true }, b: { status: 'failed', error: 'cannot write ********' } });
    expect(comparisonLines(c)).toEqual(['runs 1 and 2:', 'w1: same results', 'w2:', '  write config (pb.yml:3): changed -> failed (cannot write ********)']);
  });

  it('a task that ran in one run only is a difference; so is a host in one run only', () => {
    const r = (host: string, t: string): ResultRecord => ({ ...first.results[0]!, host, task: t });
    const a: FullRun = { ...first, id: 7, hosts: ['w1'], results: [r('w1', 'x')] };
    const b: FullRun = { ...first, id: 8, hosts: ['w1', 'w9'], results: [r('w1', 'x'), r('w1', 'y'), r('w9', 'x')] };
    const c = compareRuns(a, b);
    expect(comparisonLines(c)).toEqual(['runs 7 and 8:', 'w1:', '  y (pb.yml:3): not run -> changed', 'w9: only in run 8']);
  });

  it('an unusable database is a warning, never a failure of the run', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
    try {
      // A directory where the file should be: SQLite cannot open it.
      await recordEvents(dir, events(secret, 'ok'));
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join('')).toMatch(/^warning: run history: this run was not recorded in .*: /);
  });
});
