import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/report/index.js';
import type { HostStats, RunEvent, TaskInfo } from '../../src/run/events.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
const fakeTty = (rows = 40) => Object.assign(new Capture(), { isTTY: true, columns: 100, rows });
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

const stats = (o: Partial<HostStats> = {}): HostStats => ({
  ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...o,
});
const task = (id: number, name: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  id, name, module: 'command', file: 'site.yml', line: id * 10, handler: false, noLog: false, ...extra,
});
const t1 = task(1, 'render frr.conf', { role: 'frr_router' });
const t2 = task(2, 'join cluster');
const runEnd: RunEvent = {
  type: 'run_end', exitCode: 2, interrupted: false,
  stats: { router: stats({ ok: 1, changed: 1 }), w1: stats({ ok: 1, failed: 1 }), w2: stats({ skipped: 1, ok: 1 }) },
};
const events: RunEvent[] = [
  { type: 'play_start', name: 'site', hosts: ['router', 'w1', 'w2'], check: false },
  { type: 'task_start', task: t1, hosts: ['router', 'w1', 'w2'] },
  { type: 'host_result', task: t1, host: 'router', outcome: { status: 'changed', result: { changed: true }, durationMs: 420 } },
  { type: 'host_result', task: t1, host: 'w1', outcome: { status: 'ok', result: { changed: false }, durationMs: 100, delegatedTo: 'cp1' } },
  { type: 'host_result', task: t1, host: 'w2', outcome: { status: 'skipped', result: { changed: false }, durationMs: 1 } },
  { type: 'task_end', task: t1 },
  { type: 'task_start', task: t2, hosts: ['w1', 'w2'] },
  { type: 'host_result', task: t2, host: 'w2', outcome: { status: 'ok', result: { changed: false }, durationMs: 5 } },
  { type: 'host_result', task: t2, host: 'w1', outcome: { status: 'failed', result: { changed: false, msg: 'token expired', rc: 1 }, durationMs: 3_000 } },
  { type: 'task_end', task: t2 },
  { type: 'play_end', name: 'site' },
  runEnd,
];

/** Feeds events the way the executor does: spread over time, while the view is drawing. */
async function feed(reporter: Awaited<ReturnType<typeof createReporter>>, list: RunEvent[]): Promise<void> {
  for (const e of list) {
    reporter.onEvent(e);
    await sleep(5);
  }
  await reporter.close();
}

describe('live reporter', () => {
  it('falls back to the plain lines when the stream is not a terminal', async () => {
    const live = new Capture();
    const plain = new Capture();
    const now = () => 0;
    await feed(await createReporter({ mode: 'live', verbose: 0, diff: false, out: live, now }), events);
    await feed(await createReporter({ mode: 'plain', verbose: 0, diff: false, out: plain, now }), events);
    expect(live.text).toBe(plain.text);
    expect(live.text).toContain('changed: [router]\nok: [w1 -> cp1]\nskipping: [w2]\n');
  });

  it('draws a row per task and a sub-row per host on a terminal, then failures and the recap', async () => {
    const out = fakeTty();
    await feed(await createReporter({ mode: 'live', verbose: 0, diff: false, out }), events);
    const text = stripAnsi(out.text);
    expect(text).toContain('TASK [frr_router : render frr.conf]');
    expect(text).toMatch(/router {2}changed {2}0\.4s/);
    expect(text).toMatch(/w1 -> cp1 {2}ok {2}0\.1s/);
    expect(text).toMatch(/w2 {2}skipping {2}0\.0s/);
    expect(text).toMatch(/w1 {2}failed {2}3\.0s/);
    // The failure's message is printed under its row, in the plain format.
    expect(text).toContain('failed: [w1] => token expired\n    rc: 1\n');
    // The recap comes last, after the view has finished.
    const recapAt = text.indexOf('PLAY RECAP');
    expect(recapAt).toBeGreaterThan(text.lastIndexOf('TASK [join cluster]'));
    expect(text.slice(recapAt)).toMatch(/\nw1 +: ok=1 +changed=0 +unreachable=0 +failed=1 +skipped=0 +rescued=0 +ignored=0/);
    expect(text).toMatch(/CHANGED \*+\n- frr_router : render frr.conf: 1 host\n {4}router \(0\.4s\)/);
  });

  it('finishes an interrupted run: hosts without a result end, the recap says so', async () => {
    const out = fakeTty();
    const reporter = await createReporter({ mode: 'live', verbose: 0, diff: false, out });
    const done = feed(reporter, [
      { type: 'play_start', name: 'site', hosts: ['w1', 'w2'], check: false },
      { type: 'task_start', task: t2, hosts: ['w1', 'w2'] },
      { type: 'host_result', task: t2, host: 'w2', outcome: { status: 'ok', result: { changed: false }, durationMs: 5 } },
      { type: 'run_end', stats: { w1: stats(), w2: stats({ ok: 1 }) }, exitCode: 130, interrupted: true },
    ]);
    await expect(Promise.race([done.then(() => 'closed'), sleep(5_000).then(() => 'hung')])).resolves.toBe('closed');
    const text = stripAnsi(out.text);
    expect(text).toContain('w1  no result');
    expect(text).toMatch(/interrupted: recap so far\n\nPLAY RECAP/);
  });

  it('prints host lines instead of rows when the hosts do not fit on the screen', async () => {
    const out = fakeTty(10);
    const hosts = Array.from({ length: 12 }, (_, i) => `n${i + 1}`);
    const t = task(3, 'ping');
    await feed(await createReporter({ mode: 'live', verbose: 0, diff: false, out }), [
      { type: 'play_start', name: 'many', hosts, check: false },
      { type: 'task_start', task: t, hosts },
      ...hosts.map((host): RunEvent => ({ type: 'host_result', task: t, host, outcome: { status: 'ok', result: { changed: false }, durationMs: 1 } })),
      { type: 'task_end', task: t },
    ]);
    const text = stripAnsi(out.text);
    expect(text).toContain('TASK [ping]');
    for (const h of hosts) expect(text).toContain(`ok: [${h}]\n`);
  });
});
