import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Connection, ExecOptions, ExecResult } from '../../src/connection/types.js';
import { batchScript, firstProbe, ReadAhead, readAheadBatch, readAheadConnection, splitBatch } from '../../src/run/read-ahead.js';
import { LocalConnection } from '../../src/connection/local.js';
import { probeScript, type ProbeSpec } from '../../src/modules/lib/probe-spec.js';

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

/** A connection that answers every exec with rc 0 and its script, and logs what reached it. */
function fakeHost(): Connection & { log: string[] } {
  const log: string[] = [];
  return {
    host: 'h',
    stats: { execs: 0, uploads: 0 },
    log,
    exec: async (script: string) => (log.push(script), { rc: 0, stdout: `live ${script}`, stderr: '' }),
    upload: async (_c: Buffer, path: string) => void log.push(`upload ${path}`),
    close: async () => undefined,
  };
}

const probe: ExecOptions = { probe: true, inline: true };
const cached = (s: string): ExecResult => ({ rc: 0, stdout: `ahead ${s}`, stderr: '' });

describe('readAheadConnection', () => {
  it('serves each probe read ahead once, then probes live', async () => {
    const host = fakeHost();
    const ahead = new ReadAhead();
    ahead.fill(['p1', 'p2'], [cached('p1'), cached('p2')]);
    const c = readAheadConnection(host, ahead);
    expect((await c.exec('p1', probe)).stdout).toBe('ahead p1');
    expect((await c.exec('p1', probe)).stdout).toBe('live p1');
    expect((await c.exec('p3', probe)).stdout).toBe('live p3');
    expect((await c.exec('p2', probe)).stdout).toBe('ahead p2');
    expect(host.log).toEqual(['p1', 'p3']);
  });

  it('a command or an upload drops everything read ahead', async () => {
    for (const change of [(c: Connection) => c.exec('touch x'), (c: Connection) => c.upload(Buffer.from('x'), '/x')]) {
      const ahead = new ReadAhead();
      ahead.fill(['p1'], [cached('p1')]);
      const c = readAheadConnection(fakeHost(), ahead);
      await change(c);
      expect((await c.exec('p1', probe)).stdout).toBe('live p1');
    }
  });

  it('a command whose result says it changed nothing keeps it; one that did change drops it', async () => {
    const ahead = new ReadAhead();
    ahead.fill(['p1', 'p2'], [cached('p1'), cached('p2')]);
    const c = readAheadConnection(fakeHost(), ahead);
    await c.exec('guarded', { unchangedIf: (r) => r.stdout.startsWith('live') });
    expect((await c.exec('p1', probe)).stdout).toBe('ahead p1');
    await c.exec('guarded', { unchangedIf: () => false });
    expect((await c.exec('p2', probe)).stdout).toBe('live p2');
  });

  it('serves nothing while a command that may change the host runs', async () => {
    const ahead = new ReadAhead();
    ahead.fill(['p1'], [cached('p1')]);
    let finish!: () => void;
    const slow: Connection = {
      ...fakeHost(),
      exec: (script) =>
        script === 'slow' ? new Promise((res) => (finish = () => res({ rc: 0, stdout: 'skipped', stderr: '' }))) : Promise.resolve({ rc: 0, stdout: `live ${script}`, stderr: '' }),
    };
    const c = readAheadConnection(slow, ahead);
    const running = c.exec('slow', { unchangedIf: () => true });
    expect((await c.exec('p1', probe)).stdout).toBe('live p1');
    finish();
    await running;
  });
});

describe('firstProbe', () => {
  it('records the first exec when it is a probe, and lets nothing further through', async () => {
    const seen: string[] = [];
    const script = await firstProbe(async (conn) => {
      await conn.exec('read state', probe).catch(() => seen.push('stopped'));
      await conn.exec('write state').catch(() => seen.push('stopped'));
      await conn.upload(Buffer.from(''), '/x').catch(() => seen.push('stopped'));
    }, 'h');
    expect(script).toEqual({ script: 'read state' });
    expect(seen).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('keeps the probe spec a module sent along, so the batch can merge it', async () => {
    const spec: ProbeSpec = { kind: 'file', path: '/etc/hostname', opts: {} };
    expect(await firstProbe((conn) => conn.exec('probe text', { inline: true, probe: spec }), 'h')).toEqual({ script: 'probe text', spec });
  });

  it('a module whose first step is a command or an upload has no probe to read ahead', async () => {
    expect(await firstProbe((conn) => conn.exec('touch x'), 'h')).toBeUndefined();
    expect(await firstProbe((conn) => conn.upload(Buffer.from(''), '/x'), 'h')).toBeUndefined();
    expect(await firstProbe(() => { throw new Error('bad args'); }, 'h')).toBeUndefined();
  });
});

describe('readAheadBatch', () => {
  it('answers merged and plain probes in one round trip, each as it would answer alone', async () => {
    const conn = new LocalConnection('local');
    try {
      const specs: ProbeSpec[] = [
        { kind: 'file', path: '/etc/hostname', opts: { content: true } },
        { kind: 'sysctl', proc: '/proc/sys/kernel/pid_max', file: '/nonexistent.conf' },
      ];
      const probes = [{ script: 'echo plain' }, ...specs.map((spec) => ({ script: probeScript(spec), spec })), { script: 'echo err >&2; false' }];
      const before = conn.stats.execs;
      const { scripts, results } = await readAheadBatch(conn, probes);
      expect(conn.stats.execs - before).toBe(1);
      expect([...scripts].sort()).toEqual(probes.map((p) => p.script).sort());
      for (const p of probes) expect(results[scripts.indexOf(p.script)]).toEqual(await conn.exec(p.script, { inline: true }));
    } finally {
      await conn.close();
    }
  });
});
