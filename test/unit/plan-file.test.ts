// The pure parts of plan/apply: how outcomes are named, how apply holds each task to the plan,
// fact fingerprints, and the input check.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsRead, noteInput, noteListing, recordInputs } from '../../src/load/inputs.js';
import { PlanGuard } from '../../src/plan-file/guard.js';
import { plannedStatus } from '../../src/plan-file/record.js';
import type { PlanFile, PlannedStatus } from '../../src/plan-file/types.js';
import { changedInputs } from '../../src/plan-file/verify.js';
import type { HostResult, HostStatus, TaskInfo } from '../../src/run/events.js';
import { factPrint } from '../../src/run/fact-print.js';
import { SKIP_CHECK } from '../../src/run/prepare.js';

const task = (id: number): TaskInfo => ({ id, name: `t${id}`, module: 'copy', file: 'pb.yml', line: id, handler: false, noLog: false });
const outcome = (status: HostStatus, msg?: string): HostResult => ({ status, result: { changed: status === 'changed', ...(msg ? { msg } : {}) }, durationMs: 1 });

function planOf(tasks: Record<string, Array<[number, PlannedStatus]>>): PlanFile {
  const hosts = Object.fromEntries(Object.entries(tasks).map(([h, ts]) => [h, { facts: [], tasks: ts.map(([id, status]) => ({ id, task: `t${id}`, file: 'pb.yml', line: id, status })) }]));
  return { fabricPlan: 1, createdAt: '', cwd: '/', invocation: { playbooks: [], inventory: '', tags: [], skipTags: [], extraVars: [] }, inputs: {}, hosts };
}

describe('plannedStatus', () => {
  it('names a check-mode skip unknown, a condition skip skipped, an ignored failure unknown', () => {
    expect(plannedStatus(outcome('changed'))).toBe('changed');
    expect(plannedStatus(outcome('ok'))).toBe('ok');
    expect(plannedStatus(outcome('skipped', 'conditional result was false'))).toBe('skipped');
    expect(plannedStatus(outcome('skipped', SKIP_CHECK))).toBe('unknown');
    expect(plannedStatus({ ...outcome('failed'), ignored: true })).toBe('unknown');
    expect(plannedStatus(outcome('failed'))).toBe('failed');
    expect(plannedStatus(outcome('unreachable'))).toBe('failed');
    expect(plannedStatus({ ...outcome('ok'), items: [{ item: 1, status: 'changed', result: { changed: true } }] })).toBe('changed');
  });
});

describe('PlanGuard', () => {
  it('runs planned changes for real and holds ok and skipped tasks to check mode', () => {
    const g = new PlanGuard(planOf({ w1: [[1, 'changed'], [2, 'ok'], [3, 'skipped']] }));
    expect([1, 2, 3].map((id) => g.checkOnly(task(id), 'w1'))).toEqual([false, true, true]);
  });

  it('fails the host when a task the plan said was ok would change now, and names it', () => {
    const g = new PlanGuard(planOf({ w1: [[1, 'ok']] }));
    const o = g.judge(task(1), 'w1', outcome('changed'));
    expect(o.status).toBe('failed');
    expect(o.result.msg).toContain('the plan says it changes nothing on w1, but now it would change it');
    expect(o.ignored).toBe(false);
    expect(g.departures).toEqual(['w1: t1 (pb.yml:1)']);
  });

  it('a planned change already in place is a note, not a failure', () => {
    const g = new PlanGuard(planOf({ w1: [[1, 'changed']] }));
    expect(g.judge(task(1), 'w1', outcome('ok')).status).toBe('ok');
    expect(g.notes).toEqual(['w1: t1 (pb.yml:1): the planned change was already in place']);
  });

  it('a task run twice (an include loop) is held to each planned run in turn', () => {
    const g = new PlanGuard(planOf({ w1: [[1, 'changed'], [1, 'ok']] }));
    expect(g.checkOnly(task(1), 'w1')).toBe(false);
    g.judge(task(1), 'w1', outcome('changed'));
    expect(g.checkOnly(task(1), 'w1')).toBe(true);
    expect(g.judge(task(1), 'w1', outcome('changed')).status).toBe('failed');
  });

  it('a task the plan never ran on a host is held like an ok one, unless an unknown task ran there before it', () => {
    const g = new PlanGuard(planOf({ w1: [[1, 'unknown']], w2: [] }));
    expect(g.checkOnly(task(9), 'w1')).toBe(true);
    g.judge(task(1), 'w1', outcome('changed'));
    expect(g.checkOnly(task(9), 'w1')).toBe(false);
    expect(g.judge(task(9), 'w1', outcome('changed')).status).toBe('changed');
    expect(g.judge(task(9), 'w2', outcome('changed')).status).toBe('failed');
  });
});

describe('factPrint', () => {
  const file = { kind: 'file' as const, path: '/x', opts: {} };
  it('a file by its state, its mtime left out; content bytes count', () => {
    const a = factPrint(file, { value: { type: 'file', path: '/x', mode: '644', mtime: 1, content: Buffer.from('a') } });
    expect(factPrint(file, { value: { mtime: 2, content: Buffer.from('a'), path: '/x', mode: '644', type: 'file' } })).toBe(a);
    expect(factPrint(file, { value: { type: 'file', path: '/x', mode: '644', mtime: 1, content: Buffer.from('b') } })).not.toBe(a);
    expect(factPrint(file, { value: { type: 'file', path: '/x', mode: '600', mtime: 1, content: Buffer.from('a') } })).not.toBe(a);
  });
  it("a module's own read by its output", () => {
    const spec = { kind: 'script' as const, script: 'x', parse: () => 1 };
    const p = factPrint(spec, { value: 1, raw: { rc: 0, stdout: 'a', stderr: '' } });
    expect(factPrint(spec, { value: 2, raw: { rc: 0, stdout: 'a', stderr: '' } })).toBe(p);
    expect(factPrint(spec, { value: 1, raw: { rc: 1, stdout: 'a', stderr: '' } })).not.toBe(p);
  });
});

describe('changedInputs', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  it('names a file changed, gone or new, and a directory whose list of files changed', () => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-inputs-'));
    recordInputs();
    const [a, b, sub] = [join(dir, 'a.yml'), join(dir, 'b.yml'), join(dir, 'vars')];
    writeFileSync(a, 'x: 1\n');
    writeFileSync(b, 'y: 1\n');
    noteInput(a, 'x: 1\n');
    noteInput(b, 'y: 1\n');
    noteListing(sub, undefined);
    const saved = Object.fromEntries(Object.entries(inputsRead()).filter(([k]) => k.startsWith(dir)));
    expect(changedInputs(saved, {})).toEqual([]);
    writeFileSync(a, 'x: 2\n');
    rmSync(b);
    mkdirSync(sub);
    expect(changedInputs(saved, { [join(dir, 'c.yml')]: 'h' }).map((l) => l.replace(dir, 'D'))).toEqual(['D/a.yml changed', 'D/b.yml is gone', 'D/vars/ (its list of files) changed', 'D/c.yml is new (not read when the plan was made)']);
  });
});
