import { Writable } from 'node:stream';
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

const stats = (o: Partial<HostStats> = {}): HostStats => ({
  ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...o,
});
const task = (id: number, name: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  id, name, module: 'command', file: 'site.yml', line: id * 10, handler: false, noLog: false, ...extra,
});

describe('json reporter', () => {
  it('prints nothing until close, then one document with plays, tasks, per-host results and stats', async () => {
    const out = new Capture();
    const reporter = await createReporter({ mode: 'json', verbose: 3, diff: true, out });
    const t1 = task(1, 'render frr.conf', { role: 'frr_router', module: 'template', file: 'roles/frr_router/tasks/main.yml' });
    const t2 = task(2, 'install packages', { module: 'apt' });
    const diff = [{ path: '/etc/frr/frr.conf', before: 'a\n', after: 'b\n' }];
    const events: RunEvent[] = [
      { type: 'play_start', name: 'router', hosts: ['router', 'w1'], check: false },
      { type: 'task_start', task: t1, hosts: ['router', 'w1'] },
      { type: 'host_result', task: t1, host: 'router', outcome: { status: 'changed', result: { changed: true, diff }, durationMs: 420 } },
      {
        type: 'host_result', task: t1, host: 'w1',
        outcome: { status: 'failed', ignored: true, delegatedTo: 'cp1', durationMs: 90, result: { changed: false, failed: true, msg: 'boom', rc: 2, stdout: 'o', stderr: 'e' } },
      },
      { type: 'task_end', task: t1 },
      { type: 'task_start', task: t2, hosts: ['w1'] },
      {
        type: 'host_result', task: t2, host: 'w1',
        outcome: {
          status: 'changed', durationMs: 1_000, result: { changed: true },
          items: [
            { item: 'foo', status: 'changed', result: { changed: true, stdout: 'installed' } },
            { item: { name: 'bar' }, status: 'skipped', result: { changed: false, skipped: true } },
          ],
        },
      },
      { type: 'task_end', task: t2 },
      { type: 'play_end', name: 'router' },
      { type: 'run_end', stats: { router: stats({ ok: 1, changed: 1 }), w1: stats({ ok: 1, changed: 1, failed: 1, ignored: 1 }) }, exitCode: 0, interrupted: false },
    ];
    for (const e of events) reporter.onEvent(e);
    expect(out.text).toBe('');
    await reporter.close();
    const none = { msg: null, rc: null, stdout: null, stderr: null, diff: null };
    expect(JSON.parse(out.text)).toEqual({
      plays: [
        {
          name: 'router',
          hosts: ['router', 'w1'],
          tasks: [
            {
              name: 'render frr.conf', module: 'template', role: 'frr_router', file: 'roles/frr_router/tasks/main.yml', line: 10,
              hosts: {
                router: { status: 'changed', changed: true, failed: false, skipped: false, ...none, diff, items: null, ignored: false, durationMs: 420, delegatedTo: null },
                w1: {
                  status: 'failed', changed: false, failed: true, skipped: false, msg: 'boom', rc: 2, stdout: 'o', stderr: 'e', diff: null,
                  items: null, ignored: true, durationMs: 90, delegatedTo: 'cp1',
                },
              },
            },
            {
              name: 'install packages', module: 'apt', role: null, file: 'site.yml', line: 20,
              hosts: {
                w1: {
                  status: 'changed', changed: true, failed: false, skipped: false, ...none, ignored: false, durationMs: 1_000, delegatedTo: null,
                  items: [
                    { item: 'foo', status: 'changed', changed: true, failed: false, skipped: false, ...none, stdout: 'installed' },
                    { item: { name: 'bar' }, status: 'skipped', changed: false, failed: false, skipped: true, ...none },
                  ],
                },
              },
            },
          ],
        },
      ],
      changes: [
        { task: 'frr_router : render frr.conf', file: 'roles/frr_router/tasks/main.yml', line: 10, hosts: ['router'] },
        { task: 'install packages', file: expect.any(String), line: expect.any(Number), hosts: ['w1'] },
      ],
      stats: { router: stats({ ok: 1, changed: 1 }), w1: stats({ ok: 1, changed: 1, failed: 1, ignored: 1 }) },
      exitCode: 0,
      interrupted: false,
    });
    // One document, no recap or banner around it.
    expect(out.text.trim().startsWith('{')).toBe(true);
    expect(out.text).not.toContain('PLAY RECAP');
  });

  it('keeps each run of a task (a handler flushed twice) and reports an interrupted run', async () => {
    const out = new Capture();
    const reporter = await createReporter({ mode: 'json', verbose: 0, diff: false, out });
    const h = task(7, 'restart frr', { handler: true });
    reporter.onEvent({ type: 'play_start', name: 'p', hosts: ['w1'], check: true });
    for (const status of ['changed', 'ok'] as const) {
      reporter.onEvent({ type: 'task_start', task: h, hosts: ['w1'] });
      reporter.onEvent({ type: 'host_result', task: h, host: 'w1', outcome: { status, result: { changed: status === 'changed' }, durationMs: 1 } });
      reporter.onEvent({ type: 'task_end', task: h });
    }
    reporter.onEvent({ type: 'run_end', stats: { w1: stats({ ok: 2, changed: 1 }) }, exitCode: 130, interrupted: true });
    await reporter.close();
    await reporter.close();
    const doc = JSON.parse(out.text);
    expect(doc.plays[0].tasks.map((t: { hosts: { w1: { status: string } } }) => t.hosts.w1.status)).toEqual(['changed', 'ok']);
    expect(doc.exitCode).toBe(130);
    expect(doc.interrupted).toBe(true);
  });
});
