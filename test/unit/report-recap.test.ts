import { describe, expect, it } from 'vitest';
import { formatRecapLine } from '../../src/report/index.js';
import { RunSummary, recapLines } from '../../src/report/recap.js';
import type { HostStats, TaskInfo } from '../../src/run/events.js';

const stats = (o: Partial<HostStats> = {}): HostStats => ({
  ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...o,
});
const task = (id: number, name: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  id, name, module: 'command', file: 'site.yml', line: id, handler: false, noLog: false, ...extra,
});
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
// What the integration tests and users grep for.
const GREP = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)\s*$/;

describe('formatRecapLine', () => {
  it("prints Ansible's line byte for byte: host %-26s, each count %-4d", () => {
    const line = formatRecapLine('router', stats({ ok: 5, changed: 1 }));
    expect(line).toBe(
      'router                     : ok=5    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
    );
    expect(line.indexOf(':')).toBe(27);
    expect(GREP.exec(line)?.slice(1)).toEqual(['router', '5', '1', '0', '0', '0', '0', '0']);
  });

  it('keeps every count in its own field, multi-digit counts included', () => {
    const line = formatRecapLine('w1', stats({ ok: 123, changed: 45, unreachable: 1, failed: 2, skipped: 6789, rescued: 3, ignored: 10000 }));
    expect(line).toBe(
      'w1                         : ok=123  changed=45   unreachable=1    failed=2    skipped=6789 rescued=3    ignored=10000',
    );
    expect(GREP.exec(line)?.slice(1)).toEqual(['w1', '123', '45', '1', '2', '6789', '3', '10000']);
  });

  it('does not cut a host name longer than the pad', () => {
    const host = 'control-plane-1.cluster.example.internal';
    expect(formatRecapLine(host, stats({ ok: 1 }))).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')} : ok=1 `));
  });

  it('colours like hostcolor/colorize: host by worst outcome, only non-zero counts', () => {
    const line = formatRecapLine('w3', stats({ failed: 1, ignored: 2 }), true);
    expect(line.startsWith('\x1b[0;31mw3\x1b[0m' + ' '.repeat(24) + ' : ok=0    changed=0 ')).toBe(true);
    expect(line).toContain('\x1b[0;31mfailed=1   \x1b[0m');
    expect(line).toContain('\x1b[1;35mignored=2   \x1b[0m');
    expect(line).not.toContain('\x1b[0;32mok=0');
    expect(stripAnsi(line)).toBe(formatRecapLine('w3', stats({ failed: 1, ignored: 2 })));
    expect(formatRecapLine('w1', stats({ ok: 1, changed: 1 }), true).startsWith('\x1b[0;33mw1\x1b[0m')).toBe(true);
    expect(formatRecapLine('w2', stats({ ok: 1 }), true).startsWith('\x1b[0;32mw2\x1b[0m')).toBe(true);
  });
});

describe('recapLines', () => {
  const clock = () => {
    let t = 1_000;
    return { now: () => t, set: (v: number) => (t = v) };
  };

  it('prints PLAY RECAP sorted by host, then the tasks that changed each host, then the duration', () => {
    const c = clock();
    const summary = new RunSummary(c.now);
    const t1 = task(1, 'render frr.conf', { role: 'frr_router' });
    const t2 = task(2, 'install packages');
    const h = task(3, 'restart frr', { role: 'frr_router', handler: true });
    summary.onEvent({ type: 'play_start', name: 'all', hosts: ['w1', 'router'], check: false });
    summary.onEvent({ type: 'host_result', task: t1, host: 'router', outcome: { status: 'changed', result: { changed: true }, durationMs: 420 } });
    summary.onEvent({ type: 'host_result', task: t1, host: 'w1', outcome: { status: 'ok', result: { changed: false }, durationMs: 100 } });
    summary.onEvent({
      type: 'host_result', task: t2, host: 'w1',
      outcome: {
        status: 'changed', result: { changed: true }, durationMs: 2_300,
        items: [
          { item: 'a', status: 'changed', result: { changed: true } },
          { item: 'b', status: 'ok', result: { changed: false } },
          { item: 'c', status: 'changed', result: { changed: true } },
        ],
      },
    });
    summary.onEvent({ type: 'host_result', task: h, host: 'router', outcome: { status: 'changed', result: { changed: true }, durationMs: 700 } });
    c.set(1_000 + 83_400);
    const end = { type: 'run_end' as const, stats: { w1: stats({ ok: 2, changed: 1 }), router: stats({ ok: 2, changed: 2 }) }, exitCode: 0, interrupted: false };
    summary.onEvent(end);
    expect(recapLines(end, summary, { color: false, columns: 79 })).toEqual([
      'PLAY RECAP *********************************************************************',
      'router                     : ok=2    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
      'w1                         : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
      '',
      'CHANGED ************************************************************************',
      '- frr_router : render frr.conf: 1 host',
      '    router (0.4s)',
      '- install packages: 1 host',
      '    w1 (2/3 items, 2.3s)',
      '- frr_router : restart frr (handler): 1 host',
      '    router (0.7s)',
      '',
      'total duration: 1m23s',
    ]);
  });

  it('says the recap is partial when the run was interrupted, and that nothing changed', () => {
    const summary = new RunSummary(() => 0);
    const end = { type: 'run_end' as const, stats: { w1: stats({ ok: 1 }) }, exitCode: 130, interrupted: true };
    summary.onEvent(end);
    const lines = recapLines(end, summary, { color: false, columns: 79 });
    expect(lines.slice(0, 3)).toEqual(['interrupted: recap so far', '', expect.stringMatching(/^PLAY RECAP \*+$/)]);
    expect(lines).toContain('no host changed');
    expect(lines.at(-1)).toBe('total duration: 0.0s');
  });
});
