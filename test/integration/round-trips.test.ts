import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { launchProxy } from '../../src/connection/proxy-launcher.js';
import { countedPlays, type CountedRun } from '../support/counted-play.js';
import { describeLab, requireLab } from '../support/lab.js';

// Round trips per task and host, counted by a wrapper around each real connection.
const plays = countedPlays();
afterAll(() => plays.remove());
const run = (playbookText: string, inventoryPath: string): Promise<CountedRun> => plays.run(playbookText, inventoryPath);

const TASKS = ['redirects off', 'martians logged', 'app dir', 'app config', 'app env', 'limits line', 'one-time init', 'no stale file'];

/** The benchmark's 8-task play (bench/play.fabric.yml) on paths of this test run only. */
function benchPlay(hosts: string[], base: string, sysctlFile: string): string {
  return `
- hosts: ${hosts.join(':')}
  gather_facts: false
  tasks:
    - name: redirects off
      sysctl: { name: net.ipv4.conf.all.send_redirects, value: '0', sysctl_file: ${sysctlFile} }
    - name: martians logged
      sysctl: { name: net.ipv4.conf.all.log_martians, value: '1', sysctl_file: ${sysctlFile} }
    - name: app dir
      file: { path: ${base}, state: directory, mode: '0755' }
    - name: app config
      copy: { dest: ${base}/app.conf, content: "listen=0.0.0.0:8080\\nworkers=4\\n", mode: '0644' }
    - name: app env
      copy: { dest: ${base}/app.env, content: "APP_MODE=bench\\n", mode: '0600' }
    - name: limits line
      lineinfile: { path: ${base}/limits.conf, regexp: '^nofile=', line: 'nofile=65536', create: true }
    - name: one-time init
      command: { cmd: touch ${base}/.initialised, creates: ${base}/.initialised }
    - name: no stale file
      file: { path: ${base}/stale.conf, state: absent }
`;
}

describeLab('round trips', () => {
  it('a no-op rerun of the 8-task play costs one round trip per host (every fact read ahead, the command guard too), no uploads', { timeout: 180_000 }, async (ctx) => {
    const lab = requireLab(ctx);
    const hosts = lab.hosts.slice(0, 5).map((h) => h.name);
    expect(hosts).toHaveLength(5);
    const id = randomBytes(4).toString('hex');
    const base = `/opt/fabric-rt-${id}`;
    const sysctlFile = `/etc/sysctl.d/fabric-rt-${id}.conf`;
    const keys = ['net.ipv4.conf.all.send_redirects', 'net.ipv4.conf.all.log_martians'];
    // The lab is shared with other tests: remember the live values to put back.
    const before = await run(
      `- hosts: ${hosts.join(':')}\n  gather_facts: false\n  tasks:\n    - name: read\n      command: { argv: [sysctl, -n, ${keys.join(', ')}] }\n`,
      lab.inventoryPath,
    );
    expect(before.exitCode).toBe(0);
    try {
      const first = await run(benchPlay(hosts, base, sysctlFile), lab.inventoryPath);
      expect(first.exitCode).toBe(0);
      for (const h of hosts) expect(first.outcomes.get('app config')!.get(h)!.status).toBe('changed');

      const second = await run(benchPlay(hosts, base, sysctlFile), lab.inventoryPath);
      expect(second.exitCode).toBe(0);
      // The first task reads ahead every fact the play's tasks declare, merged, in one round trip
      // per host; the command's creates guard is one of them, so its skip costs nothing.
      expect([...second.trips.keys()]).toEqual(['redirects off']);
      for (const h of hosts) {
        for (const t of second.trips.keys()) expect(second.trips.get(t)!.get(h), `${t} on ${h}`).toEqual({ execs: 1, uploads: 0 });
        for (const t of TASKS) expect(second.outcomes.get(t)!.get(h)!.status, `${t} on ${h}`).toBe('ok');
      }
    } finally {
      const restore = hosts.map((h) => {
        const [a, b] = String(before.outcomes.get('read')!.get(h)!.result.stdout).trim().split('\n');
        return `- hosts: ${h}\n  gather_facts: false\n  tasks:\n    - name: restore\n      command: { argv: [sysctl, -q, -w, '${keys[0]}=${a}', '${keys[1]}=${b}'] }\n    - name: clean\n      command: { argv: [rm, -rf, ${base}, ${sysctlFile}] }\n`;
      });
      for (const text of restore) expect((await run(text, lab.inventoryPath)).exitCode).toBe(0);
    }
  });

  it('a task after one that changed the host probes live: read-ahead never serves state from before a change', { timeout: 120_000 }, async (ctx) => {
    const lab = requireLab(ctx);
    const hosts = lab.hosts.slice(0, 2).map((h) => h.name);
    const file = `/tmp/fabric-ra-${randomBytes(4).toString('hex')}.conf`;
    // Three edits of one file: each probe read ahead sees the file before any of them.
    const play = `
- hosts: ${hosts.join(':')}
  gather_facts: false
  tasks:
    - name: line a
      lineinfile: { path: ${file}, line: a, create: true }
    - name: line b
      lineinfile: { path: ${file}, line: b }
    - name: other file
      copy: { dest: ${file}.other, content: "x\\n" }
    - name: line c
      lineinfile: { path: ${file}, line: c }
    - name: show
      command: { argv: [cat, ${file}] }
      changed_when: false
`;
    try {
      const first = await run(play, lab.inventoryPath);
      expect(first.exitCode).toBe(0);
      for (const h of hosts) {
        for (const t of ['line a', 'line b', 'other file', 'line c']) expect(first.outcomes.get(t)!.get(h)!.status, `${t} on ${h}`).toBe('changed');
        // After 'line a' changed the host, the probes read ahead with its own were dropped: every later probe went to the host.
        for (const t of ['line b', 'line c']) expect(first.trips.get(t)!.get(h)!.execs, `${t} on ${h}`).toBeGreaterThan(0);
        expect(first.outcomes.get('show')!.get(h)!.result.stdout).toBe('a\nb\nc');
      }
      // Rerun: 'line a' reads ahead all four probes and changes nothing: the three after it cost no round trip.
      const again = await run(play, lab.inventoryPath);
      for (const h of hosts) {
        for (const t of ['line a', 'line b', 'other file', 'line c']) expect(again.outcomes.get(t)!.get(h)!.status, `${t} on ${h}`).toBe('ok');
        expect(again.trips.get('line a')!.get(h), `line a on ${h}`).toEqual({ execs: 1, uploads: 0 });
        for (const t of ['line b', 'other file', 'line c']) expect(again.trips.get(t)?.get(h), `${t} on ${h}`).toBeUndefined();
      }
    } finally {
      await run(`- hosts: ${hosts.join(':')}\n  gather_facts: false\n  tasks:\n    - command: { argv: [rm, -f, ${file}, ${file}.other] }\n`, lab.inventoryPath);
    }
  });
});

describe('proxy launcher', () => {
  it('starts proxies asked for together with one helper, each on its own stream; a failure carries its stderr', { timeout: 20_000 }, async () => {
    const [a, b, c] = await Promise.all([
      launchProxy(['cat']),
      launchProxy(['sh', '-c', 'read x; echo "b:$x"']),
      launchProxy(['sh', '-c', 'echo broken >&2; exit 3']),
    ]);
    const first = (s: Duplex) => new Promise<string>((res, rej) => (s.once('data', (d: Buffer) => res(d.toString())), s.once('error', rej)));
    // Each expectation is attached at once: the broken proxy may fail before the others answer.
    const ra = expect(first(a!)).resolves.toBe('to-a\n');
    const rb = expect(first(b!)).resolves.toBe('b:to-b\n');
    const rc = expect(first(c!)).rejects.toThrow('proxy command sh exited 3: broken');
    a!.write('to-a\n');
    b!.write('to-b\n');
    await Promise.all([ra, rb, rc]);
    // EOF on its stdin ends a proxy (nothing is left running for the controller to wait on).
    const ended = new Promise((res) => a!.once('close', res));
    a!.end();
    await ended;
    b!.destroy();
  });
});
