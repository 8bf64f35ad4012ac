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
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const stats = (o: Partial<HostStats> = {}): HostStats => ({
  ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...o,
});

const SECRET = 'kubeadm-token-abcdef.0123456789abcdef';
const secretTask: TaskInfo = { id: 1, name: 'create join token', module: 'command', file: 'site.yml', line: 3, handler: false, noLog: true };
const debugTask: TaskInfo = { ...secretTask, id: 2, name: 'show token', module: 'debug' };
const sec = (tag: string) => `${tag} ${SECRET}\nsecond line ${SECRET}\n`;
const events: RunEvent[] = [
  { type: 'play_start', name: 'cp', hosts: ['cp1', 'w1', 'w2'], check: false },
  { type: 'task_start', task: secretTask, hosts: ['cp1', 'w1', 'w2'] },
  {
    type: 'host_result', task: secretTask, host: 'cp1',
    outcome: {
      status: 'changed', durationMs: 10,
      result: { changed: true, msg: sec('msg'), stdout: sec('out'), stderr: sec('err'), rc: 0, diff: [{ path: '/etc/token', before: sec('b'), after: sec('a') }, { before: SECRET, after: 'x' }] },
    },
  },
  {
    type: 'host_result', task: secretTask, host: 'w1',
    outcome: { status: 'failed', durationMs: 10, ignored: true, delegatedTo: 'cp1', result: { changed: false, failed: true, msg: sec('msg'), stderr: sec('err'), rc: 1 } },
  },
  {
    type: 'host_result', task: secretTask, host: 'w2',
    outcome: {
      status: 'changed', durationMs: 10, result: { changed: true, msg: sec('loop') },
      items: [
        { item: SECRET, status: 'changed', result: { changed: true, stdout: sec('item'), diff: [{ path: '/x', before: '', after: SECRET }] } },
        { item: { token: SECRET }, status: 'failed', result: { changed: false, msg: sec('item') } },
      ],
    },
  },
  { type: 'task_end', task: secretTask },
  { type: 'task_start', task: debugTask, hosts: ['cp1'] },
  { type: 'host_result', task: debugTask, host: 'cp1', outcome: { status: 'ok', durationMs: 1, result: { changed: false, msg: SECRET } } },
  { type: 'task_end', task: debugTask },
  { type: 'play_end', name: 'cp' },
  { type: 'run_end', stats: { cp1: stats({ ok: 2, changed: 1 }), w1: stats({ failed: 1, ignored: 1 }), w2: stats({ changed: 1 }) }, exitCode: 0, interrupted: false },
];

const modes = [
  { label: 'plain', mode: 'plain' as const, out: () => new Capture() },
  { label: 'json', mode: 'json' as const, out: () => new Capture() },
  { label: 'live on a terminal', mode: 'live' as const, out: () => Object.assign(new Capture(), { isTTY: true, columns: 100, rows: 40 }) },
  { label: 'live on a pipe', mode: 'live' as const, out: () => new Capture() },
];

describe('no_log', () => {
  for (const m of modes) {
    it(`hides every result, message, output, item and diff in ${m.label} mode, and keeps the statuses`, async () => {
      const out = m.out();
      const reporter = await createReporter({ mode: m.mode, verbose: 4, diff: true, out });
      for (const e of events) reporter.onEvent(e);
      await reporter.close();
      const text = stripAnsi(out.text);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('abcdef');
      expect(text).toContain('(output hidden: no_log)');
      if (m.mode === 'json') {
        const doc = JSON.parse(text);
        const [t1, t2] = doc.plays[0].tasks;
        expect(t1.hosts.cp1).toMatchObject({ status: 'changed', changed: true, msg: '(output hidden: no_log)', stdout: null, stderr: null, rc: null, diff: null });
        expect(t1.hosts.w1).toMatchObject({ status: 'failed', failed: true, ignored: true, delegatedTo: 'cp1' });
        expect(t1.hosts.w2.items.map((i: { item: unknown; status: string }) => [i.item, i.status])).toEqual([
          ['(output hidden: no_log)', 'changed'],
          ['(output hidden: no_log)', 'failed'],
        ]);
        expect(t2.hosts.cp1).toMatchObject({ status: 'ok', msg: '(output hidden: no_log)' });
      } else {
        expect(text).toContain('changed: [cp1] => (output hidden: no_log)');
        expect(text).toContain('failed: [w1 -> cp1] => (output hidden: no_log)');
        expect(text).toContain('failed: [w2] => (output hidden: no_log)');
        expect(text).toContain('...ignoring');
        expect(text).toMatch(/cp1 +: ok=2 +changed=1 /);
      }
    });
  }
});
