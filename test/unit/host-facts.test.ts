import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, ExecOptions, ExecResult } from '../../src/connection/types.js';
import { batchScript, HostFacts, splitBatch } from '../../src/run/host-facts.js';
import { LocalConnection } from '../../src/connection/local.js';
import { defineFact, existsFact, fileFact, sysctlFact, type FileFactValue } from '../../src/modules/lib/facts.js';

/** Runs a script with this machine's sh (a host's session shell is sh too), streams kept apart. */
function sh(script: string): ExecResult {
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  return { rc: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('batchScript / splitBatch', () => {
  const probes = ['echo one; echo err1 >&2', 'printf two', 'false', 'echo four; echo err4 >&2; (exit 3)', ':'];

  it('gives each probe its own stdout, stderr and exit code, in order', () => {
    const { script, token } = batchScript(probes);
    expect(splitBatch(sh(script), token, probes.length)).toEqual([
      { rc: 0, stdout: 'one\n', stderr: 'err1\n' },
      { rc: 0, stdout: 'two', stderr: '' },
      { rc: 1, stdout: '', stderr: '' },
      { rc: 3, stdout: 'four\n', stderr: 'err4\n' },
      { rc: 0, stdout: '', stderr: '' },
    ]);
  });

  it('an output cut short gives nothing (no probe is served from a partial batch)', () => {
    const { script, token } = batchScript(probes);
    const r = sh(script);
    expect(splitBatch({ ...r, stdout: r.stdout.slice(0, r.stdout.lastIndexOf(token)) }, token, probes.length)).toBeUndefined();
    expect(splitBatch({ ...r, stderr: '' }, token, probes.length)).toBeUndefined();
  });
});

/** A real shell on this machine, counting round trips; `slow` holds a command until released. */
function shell(): Connection & { log: string[]; release(): void } {
  const local = new LocalConnection('local');
  const log: string[] = [];
  let release = () => undefined as void;
  return {
    host: 'local',
    stats: local.stats,
    log,
    release: () => release(),
    async exec(script: string, opts?: ExecOptions) {
      log.push(script);
      if (script.includes('slow-change')) await new Promise<void>((res) => (release = res));
      return local.exec(script, opts);
    },
    upload: (c: Buffer, p: string) => local.upload(c, p),
    close: () => local.close(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'fabric-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'conf');

describe('HostFacts', () => {
  it('reads what a task declares in one round trip, then serves it from the cache until a change', async () => {
    writeFileSync(path, 'a=1\n');
    const conn = shell();
    const facts = new HostFacts(async () => conn);
    const reqs = [{ spec: fileFact(path, { content: true }) }, { spec: existsFact(join(dir, 'c*')) }, { spec: existsFact(join(dir, 'none*')) }];
    const [st, some, none] = (await facts.get(reqs)) as [FileFactValue, boolean, boolean];
    expect(st).toMatchObject({ type: 'file', size: 4, content: Buffer.from('a=1\n') });
    expect([some, none]).toEqual([true, false]);
    expect(conn.log).toHaveLength(1);
    await facts.get(reqs);
    expect(conn.log).toHaveLength(1); // cached
    // A change (through the module context) drops everything: the next read goes to the host.
    await facts.changes(() => conn.exec(`echo b=2 >> ${path}`));
    const [again] = (await facts.get(reqs.slice(0, 1))) as [FileFactValue];
    expect(again.content?.toString()).toBe('a=1\nb=2\n');
    expect(conn.log).toHaveLength(3);
    await conn.close();
  });

  it('prefetches a section in one round trip, merged, and only when that saves one', async () => {
    const conn = shell();
    const facts = new HostFacts(async () => conn);
    await facts.prefetch([{ spec: fileFact(path) }]);
    expect(conn.log).toHaveLength(0); // one fact costs the same round trip when its task runs
    const reqs = [{ spec: fileFact(path) }, { spec: sysctlFact('/proc/sys/kernel/pid_max', path) }, { spec: existsFact(path) }];
    await facts.prefetch(reqs);
    expect(conn.log).toHaveLength(1);
    expect(await facts.get(reqs)).toHaveLength(3);
    expect(conn.log).toHaveLength(1);
    await conn.close();
  });

  it('serves an ahead-only fact from a prefetch, and never fetches it for a task alone', async () => {
    const conn = shell();
    const facts = new HostFacts(async () => conn);
    const guard = { spec: existsFact(path, { aheadOnly: true }) };
    const file = { spec: fileFact(path) };
    // Alone: the module tests the path in its own round trip, so named() gives undefined, reading nothing.
    expect(await facts.named(['guard'], [guard])).toEqual({ guard: undefined });
    expect(conn.log).toHaveLength(0);
    // Read ahead with the section's other facts, it is served from the cache like any fact.
    await facts.prefetch([file, guard]);
    expect(conn.log).toHaveLength(1);
    expect(await facts.named(['file', 'guard'], [file, guard])).toMatchObject({ file: { type: 'file' }, guard: true });
    expect(conn.log).toHaveLength(1);
    // After a change it is undefined again (the module tests the path afresh), not a stale true.
    await facts.changes(() => conn.exec(':'));
    expect(await facts.named(['guard'], [guard])).toEqual({ guard: undefined });
    expect(conn.log).toHaveLength(2);
    await conn.close();
  });

  it('keeps nothing it read while a change was running (delegated tasks overlap)', async () => {
    const conn = shell();
    const facts = new HostFacts(async () => conn);
    const change = facts.changes(() => conn.exec(`: slow-change; echo c=3 >> ${path}`));
    await new Promise((r) => setTimeout(r, 20));
    await facts.get([{ spec: fileFact(path, { content: true }) }]);
    conn.release();
    await change;
    expect(facts.size).toBe(0);
    await conn.close();
  });

  it('a fact that cannot be read fails with a message; a rare fact parses its own output', async () => {
    const conn = shell();
    const facts = new HostFacts(async () => conn);
    const words = defineFact((w: string) => `printf '%s\\n' ${w} other`, (r) => r.stdout.trim().split('\n'));
    expect(await facts.get([{ spec: words('one') }])).toEqual([['one', 'other']]);
    const broken = defineFact(() => 'exit 3', (r) => {
      throw new Error(`rc ${r.rc}`);
    });
    await expect(facts.get([{ spec: broken(undefined) }])).rejects.toThrow(/rc 3/);
    await conn.close();
  });
});
