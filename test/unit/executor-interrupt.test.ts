// The executor's interrupt bound and ignore_errors, with a stand-in connection (no host, no shell):
// a command that never ends is abandoned after the grace period and the connection closed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { loadInventory } from '../../src/inventory/index.js';
import { buildPlan } from '../../src/plan/index.js';
import type { HostResult, Reporter, RunEvent } from '../../src/run/events.js';
import { Executor } from '../../src/run/executor.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-exec-int-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'inv.yml'), 'all:\n  hosts:\n    a: {fabric_connection: local}\n    b: {fabric_connection: local}\n');

interface Seen {
  started: string[];
  results: Map<string, HostResult>;
  closed: number;
}

interface RunOpts {
  signal?: AbortSignal;
  grace?: number;
  onExec?: () => void;
  /** What commands return; by default they never end. */
  execResult?: { rc: number; stdout: string; stderr: string };
}

async function run(playbook: string, opts: RunOpts = {}) {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, playbook);
  const inventory = loadInventory(join(dir, 'inv.yml'));
  const plan = await buildPlan({ playbooks: [file], inventory, tags: { tags: [], skipTags: [] }, extraVars: {} });
  const seen: Seen = { started: [], results: new Map(), closed: 0 };
  const reporter: Reporter = {
    onEvent(e: RunEvent) {
      if (e.type === 'task_start') seen.started.push(e.task.name);
      if (e.type === 'host_result') seen.results.set(`${e.task.name}/${e.host}`, e.outcome);
    },
    close: async () => undefined,
  };
  // Commands hang, as a remote `sleep` would (only the grace period ends the task), unless told.
  const wrap = (real: Connection): Connection => ({
    host: real.host,
    stats: real.stats,
    exec: () => {
      opts.onExec?.();
      return opts.execResult ? Promise.resolve(opts.execResult) : new Promise(() => undefined);
    },
    upload: () => new Promise(() => undefined),
    close: async () => {
      seen.closed++;
      await real.close();
    },
  });
  const ex = new Executor({
    inventory,
    reporter,
    check: false,
    diff: false,
    forks: 5,
    extraVars: {},
    connectTimeoutMs: 1000,
    acceptNewHostKeys: false,
    signal: opts.signal,
    interruptGraceMs: opts.grace,
    wrap,
  });
  return { summary: await ex.run(plan), seen };
}

describe('executor under interrupt', () => {
  it('abandons a task still running after the grace period, starts nothing new, closes connections, exit 130', async () => {
    const abort = new AbortController();
    let execs = 0;
    const t0 = Date.now();
    const { summary, seen } = await run(
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hangs\n      command: sleep 300\n    - name: after\n      debug: {msg: x}\n',
      { signal: abort.signal, grace: 50, onExec: () => ++execs === 2 && abort.abort() },
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(summary.exitCode).toBe(130);
    expect(summary.interrupted).toBe(true);
    expect(seen.started).toEqual(['hangs']);
    for (const h of ['a', 'b']) {
      const r = seen.results.get(`hangs/${h}`)!;
      expect(r.status).toBe('failed');
      expect(r.result.msg).toMatch(/^interrupted: /);
    }
    expect(summary.stats.a).toMatchObject({ failed: 1, ok: 0 });
    expect(seen.closed).toBe(2);
  });

  it('runs no handler after an interrupt, and no later play or serial batch', async () => {
    const abort = new AbortController();
    const { summary, seen } = await run(
      [
        '- hosts: all',
        '  serial: 1',
        '  gather_facts: false',
        '  tasks:',
        '    - name: changes',
        '      command: touch x',
        '      notify: h',
        '  handlers:',
        '    - name: h',
        '      debug: {msg: handler}',
        '- hosts: all',
        '  gather_facts: false',
        '  tasks:',
        '    - name: later play',
        '      debug: {msg: x}',
      ].join('\n') + '\n',
      { signal: abort.signal, grace: 1000, onExec: () => abort.abort(), execResult: { rc: 0, stdout: '', stderr: '' } },
    );
    expect(seen.results.get('changes/a')?.status).toBe('changed');
    expect(seen.started).toEqual(['changes']);
    expect(summary.exitCode).toBe(130);
  });

  it('without an interrupt the grace timer never fires', async () => {
    const { summary, seen } = await run('- hosts: a\n  gather_facts: false\n  tasks:\n    - name: d\n      debug: {msg: x}\n', {
      signal: new AbortController().signal,
      grace: 1,
    });
    expect(summary.exitCode).toBe(0);
    expect(seen.results.get('d/a')?.status).toBe('ok');
  });
});

describe('ignore_errors', () => {
  it("covers a module's own failure: counted ignored, the host goes on, exit 0", async () => {
    const { summary, seen } = await run(
      '- hosts: a\n  gather_facts: false\n  tasks:\n    - name: boom\n      fail: {msg: no}\n      ignore_errors: true\n    - name: next\n      debug: {msg: x}\n',
    );
    expect(seen.results.get('boom/a')).toMatchObject({ status: 'failed', ignored: true });
    expect(seen.results.get('next/a')?.status).toBe('ok');
    expect(summary.stats.a).toMatchObject({ failed: 0, ignored: 1, ok: 2 }); // Ansible counts an ignored failure ok too
    expect(summary.exitCode).toBe(0);
  });
});
