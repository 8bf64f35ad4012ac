import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/report/index.js';
import type { HostResult, HostStats, RunEvent, TaskInfo } from '../../src/run/events.js';

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
const result = (t: TaskInfo, host: string, outcome: Partial<HostResult> & Pick<HostResult, 'status'>): RunEvent => ({
  type: 'host_result', task: t, host, outcome: { result: { changed: outcome.status === 'changed' }, durationMs: 10, ...outcome },
});

async function render(events: RunEvent[], opts: { verbose?: number; diff?: boolean; out?: Capture } = {}): Promise<string> {
  const out = opts.out ?? new Capture();
  let t = 0;
  const reporter = await createReporter({ mode: 'plain', verbose: opts.verbose ?? 0, diff: opts.diff ?? false, out, now: () => (t += 1_000) });
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
  return out.text;
}

/** One task on the given results, inside a play. */
function oneTask(t: TaskInfo, results: RunEvent[]): RunEvent[] {
  return [
    { type: 'play_start', name: 'p', hosts: ['w1'], check: false },
    { type: 'task_start', task: t, hosts: ['w1'] },
    ...results,
    { type: 'task_end', task: t },
  ];
}

/** The lines a task printed, between its banner and the next blank line. */
function taskLines(text: string, banner: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(banner));
  expect(start, `banner ${banner} in:\n${text}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe('plain reporter', () => {
  it('prints banners, one line per host and status, delegation, ignoring, and the recap', async () => {
    const t1 = task(1, 'render frr.conf', { role: 'frr_router', module: 'template' });
    const h = task(2, 'restart frr', { role: 'frr_router', handler: true });
    const text = await render([
      { type: 'play_start', name: 'router', hosts: ['router', 'w1', 'w2', 'w3', 'w4'], check: false },
      { type: 'task_start', task: t1, hosts: ['router', 'w1', 'w2', 'w3', 'w4'] },
      result(t1, 'router', { status: 'changed' }),
      result(t1, 'w1', { status: 'ok', delegatedTo: 'cp1' }),
      result(t1, 'w2', { status: 'skipped' }),
      result(t1, 'w3', { status: 'failed', ignored: true, result: { changed: false, failed: true, msg: 'non-zero return code', rc: 2, stderr: 'boom\nline2\n' } }),
      result(t1, 'w4', { status: 'unreachable', result: { changed: false, msg: 'connect ECONNREFUSED 127.0.0.1:2222' } }),
      { type: 'task_end', task: t1 },
      { type: 'task_start', task: h, hosts: ['router'] },
      result(h, 'router', { status: 'changed', durationMs: 700 }),
      { type: 'task_end', task: h },
      { type: 'play_end', name: 'router' },
      {
        type: 'run_end', exitCode: 4, interrupted: false,
        stats: { router: stats({ ok: 2, changed: 2 }), w1: stats({ ok: 1 }), w2: stats({ skipped: 1 }), w3: stats({ failed: 1, ignored: 1 }), w4: stats({ unreachable: 1 }) },
      },
    ]);
    expect(text).toBe(
      [
        'PLAY [router] ******************************************************************',
        '',
        'TASK [frr_router : render frr.conf] ********************************************',
        'changed: [router]',
        'ok: [w1 -> cp1]',
        'skipping: [w2]',
        'failed: [w3] => non-zero return code',
        '    rc: 2',
        '    stderr:',
        '      boom',
        '      line2',
        '...ignoring',
        'unreachable: [w4] => connect ECONNREFUSED 127.0.0.1:2222',
        '',
        'RUNNING HANDLER [frr_router : restart frr] *************************************',
        'changed: [router]',
        '',
        'PLAY RECAP *********************************************************************',
        'router                     : ok=2    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
        'w1                         : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
        'w2                         : ok=0    changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
        'w3                         : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=1   ',
        'w4                         : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   ',
        '',
        'CHANGED ************************************************************************',
        '- frr_router : render frr.conf: 1 host',
        '    router (0.0s)',
        '- frr_router : restart frr (handler): 1 host',
        '    router (0.7s)',
        '',
        'total duration: 1.0s',
        '',
      ].join('\n'),
    );
  });

  it('prints one line per loop item, and the host line only when the items do not explain a failure', async () => {
    const t = task(1, 'install packages', { module: 'apt' });
    const items: HostResult['items'] = [
      { item: 'foo', status: 'changed', result: { changed: true } },
      { item: { name: 'bar', state: 'present' }, status: 'ok', result: { changed: false } },
      { item: 'baz', status: 'skipped', result: { changed: false } },
      { item: 'qux', status: 'failed', result: { changed: false, failed: true, msg: 'no such package' } },
    ];
    const text = await render(oneTask(t, [
      result(t, 'w1', { status: 'failed', items }),
      result(t, 'w2', { status: 'changed', delegatedTo: 'cp1', items: items.slice(0, 1) }),
      result(t, 'w3', { status: 'failed', items: [], result: { changed: false, msg: "'pkgs' is undefined" } }),
    ]));
    expect(taskLines(text, 'TASK [install packages]')).toEqual([
      'changed: [w1] => (item=foo)',
      'ok: [w1] => (item={"name":"bar","state":"present"})',
      'skipping: [w1] => (item=baz)',
      'failed: [w1] => (item=qux) => no such package',
      'changed: [w2 -> cp1] => (item=foo)',
      "failed: [w3] => 'pkgs' is undefined",
    ]);
  });

  it('shows msg and stdout from verbose 1, stderr, rc and the task path from verbose 2', async () => {
    const t = task(1, 'kubeadm version');
    const events = oneTask(t, [result(t, 'w1', { status: 'ok', result: { changed: false, msg: 'done', stdout: 'v1.31.0\n', stderr: 'warn\n', rc: 0 } })]);
    expect(taskLines(await render(events), 'TASK [kubeadm version]')).toEqual(['ok: [w1]']);
    expect(taskLines(await render(events, { verbose: 1 }), 'TASK [kubeadm version]')).toEqual(['ok: [w1] => done', '    stdout: v1.31.0']);
    expect(taskLines(await render(events, { verbose: 2 }), 'TASK [kubeadm version]')).toEqual([
      'task path: site.yml:10',
      'ok: [w1] => done',
      '    stdout: v1.31.0',
      '    stderr: warn',
      '    rc: 0',
    ]);
  });

  it("always shows debug's message, as Ansible does", async () => {
    const t = task(1, 'show vip', { module: 'debug' });
    const text = await render(oneTask(t, [result(t, 'w1', { status: 'ok', result: { changed: false, msg: 'vip is 10.0.0.1\nsecond line' } })]));
    expect(taskLines(text, 'TASK [show vip]')).toEqual(['ok: [w1] => vip is 10.0.0.1', '    second line']);
  });

  it("shows debug's var as Ansible does: the name and its value, as JSON", async () => {
    const t = task(1, 'show result', { module: 'debug' });
    const text = await render(oneTask(t, [result(t, 'w1', { status: 'ok', result: { changed: false, 'r.stdout_lines': ['a', 'b'] } })]));
    expect(taskLines(text, 'TASK [show result]')).toEqual(['ok: [w1] => {', '        "r.stdout_lines": [', '            "a",', '            "b"', '        ]', '    }']);
  });

  it('shows a failed command by its stderr when there is no msg, with rc and stdout, capped', async () => {
    const t = task(1, 'kubeadm join');
    const stdout = Array.from({ length: 25 }, (_, i) => `out ${i + 1}`).join('\n');
    const text = await render(oneTask(t, [
      result(t, 'w1', { status: 'failed', result: { changed: false, failed: true, rc: 1, stderr: 'error: token expired\nhint: create a new one', stdout } }),
      result(t, 'w2', { status: 'failed', result: { changed: false, failed: true, rc: 3 } }),
    ]));
    const lines = taskLines(text, 'TASK [kubeadm join]');
    expect(lines.slice(0, 7)).toEqual([
      'failed: [w1] => error: token expired',
      '    hint: create a new one',
      '    rc: 1',
      '    stdout:',
      '      out 1',
      '      out 2',
      '      out 3',
    ]);
    expect(lines).toContain('      out 10');
    expect(lines).not.toContain('      out 11');
    expect(lines).toContain('      ... (15 more lines)');
    expect(lines.at(-1)).toBe('failed: [w2] => rc=3');
  });

  it('renders --diff: unified diffs for files, before/after for other state, nothing without --diff', async () => {
    const t = task(1, 'set sysctl', { module: 'sysctl' });
    const diff = [
      { path: '/etc/sysctl.d/99-fabric.conf', before: 'a = 1\nb = 2\n', after: 'a = 1\nb = 3\n' },
      { before: '0', after: '1' },
      { path: '/etc/unchanged', before: 'same\n', after: 'same\n' },
    ];
    const events = oneTask(t, [result(t, 'w1', { status: 'changed', result: { changed: true, diff } })]);
    expect(taskLines(await render(events, { diff: false }), 'TASK [set sysctl]')).toEqual(['changed: [w1]']);
    expect(taskLines(await render(events, { diff: true }), 'TASK [set sysctl]')).toEqual([
      'changed: [w1]',
      '--- /etc/sysctl.d/99-fabric.conf',
      '+++ /etc/sysctl.d/99-fabric.conf',
      '@@ -1,2 +1,2 @@',
      ' a = 1',
      '-b = 2',
      '+b = 3',
      '--- before',
      '+++ after',
      '@@ -1,1 +1,1 @@',
      '-0',
      '+1',
    ]);
  });

  it('shows a new file as all additions', async () => {
    const t = task(1, 'write file', { module: 'copy' });
    const events = oneTask(t, [result(t, 'w1', { status: 'changed', result: { changed: true, diff: [{ path: '/etc/x', after: 'one\n' }] } })]);
    expect(taskLines(await render(events, { diff: true }), 'TASK [write file]')).toEqual([
      'changed: [w1]', '--- /etc/x', '+++ /etc/x', '@@ -0,0 +1,1 @@', '+one',
    ]);
  });

  it('repeats a task banner when results of another task came in between (free strategy)', async () => {
    const a = task(1, 'a');
    const b = task(2, 'b');
    const text = await render([
      { type: 'play_start', name: 'p', hosts: ['w1', 'w2'], check: false },
      { type: 'task_start', task: a, hosts: ['w1', 'w2'] },
      result(a, 'w1', { status: 'ok' }),
      { type: 'task_start', task: b, hosts: ['w1'] },
      result(b, 'w1', { status: 'ok' }),
      result(a, 'w2', { status: 'changed' }),
    ]);
    expect(text.split('\n').filter((l) => l.startsWith('TASK [') || /^\w+: \[/.test(l))).toEqual([
      'TASK [a] ***********************************************************************',
      'ok: [w1]',
      'TASK [b] ***********************************************************************',
      'ok: [w1]',
      'TASK [a] ***********************************************************************',
      'changed: [w2]',
    ]);
  });

  it('writes no colour codes to a pipe, and Ansible colours on a terminal', async () => {
    const t = task(1, 'x');
    const events: RunEvent[] = [
      ...oneTask(t, [result(t, 'w1', { status: 'changed' }), result(t, 'w2', { status: 'failed', result: { changed: false, msg: 'bad' } })]),
      { type: 'run_end', stats: { w1: stats({ ok: 1, changed: 1 }) }, exitCode: 2, interrupted: false },
    ];
    expect(await render(events)).not.toContain('\x1b[');
    const tty = Object.assign(new Capture(), { isTTY: true, columns: 120 });
    const prev = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const text = await render(events, { out: tty });
      expect(text).toContain('\x1b[0;33mchanged: [w1]\x1b[0m');
      expect(text).toContain('\x1b[0;31mfailed: [w2] => bad\x1b[0m');
      // Ansible's banner fills the terminal width minus one.
      expect(text).toContain(`TASK [x] ${'*'.repeat(119 - 'TASK [x]'.length)}\n`);
    } finally {
      if (prev !== undefined) process.env.NO_COLOR = prev;
    }
  });

  it('prints "interrupted: recap so far" above the recap', async () => {
    const t = task(1, 'slow');
    const text = await render([
      { type: 'play_start', name: 'p', hosts: ['w1'], check: false },
      { type: 'task_start', task: t, hosts: ['w1'] },
      { type: 'run_end', stats: { w1: stats() }, exitCode: 130, interrupted: true },
    ]);
    expect(text).toMatch(/\ninterrupted: recap so far\n\nPLAY RECAP \*+\nw1 +: ok=0 /);
  });
});
