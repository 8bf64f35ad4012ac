// The connection holder (fabric_ssh_persist, like ControlPersist) against real lab hosts: a rerun
// reuses the held SSH connection, a key revoked meanwhile is not bypassed, a connection that died
// while parked is replaced, an interrupted or killed run's commands are stopped, `fabric disconnect`
// ends it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';
import { startFabric, waitFor } from '../support/reliability.js';

const HELD = { FABRIC_SSH_PERSIST: '30' };
let lab: LabInfo;
let dir: string;
let hosts: string[];

// The session id of the host's long-lived shell: the same number means the same SSH connection.
const SESSION_PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - shell: ps -o sid= -p $$
      register: session
      changed_when: false
    - debug: {msg: "session={{ session.stdout }}"}
`;

async function sessions(extra: string[] = [], env = HELD): Promise<Record<string, string>> {
  const r = await runFabric(['play', join(dir, 'session.yml'), '-i', lab.inventoryPath, '-l', hosts.join(','), ...extra], { env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/ok: \[(\S+)\] => session=\s*(\d+)/g)) out[m[1]!] = m[2]!;
  expect(Object.keys(out).sort(), r.stdout).toEqual([...hosts].sort());
  return out;
}

const sh = async (host: string, script: string) => {
  const r = await labExecCapture(host, ['sh', '-c', script], { repoRoot: REPO, name: lab.name });
  return r.stdout.trim();
};

describeLab('connection holder (fabric_ssh_persist)', () => {
  beforeAll(async () => {
    lab = requireLab();
    hosts = lab.hosts.slice(0, 2).map((h) => h.name);
    dir = mkdtempSync(join(tmpdir(), 'fabric-holder-'));
    writeFileSync(join(dir, 'session.yml'), SESSION_PLAY);
    await runFabric(['disconnect']);
  });

  afterAll(async () => {
    await runFabric(['disconnect']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a rerun reuses each host’s connection; fabric_ssh_persist=0 and `fabric disconnect` do not', async () => {
    const first = await sessions();
    expect(await sessions()).toEqual(first);
    // Off for a run: a connection of its own, closed with it; the held ones stay held.
    const direct = await sessions([], { FABRIC_SSH_PERSIST: '0' });
    for (const h of hosts) expect(direct[h]).not.toBe(first[h]);
    expect(await sessions()).toEqual(first);
    const d = await runFabric(['disconnect']);
    expect(d.stdout).toBe(`closed ${hosts.length} held connections\n`);
    const after = await sessions();
    for (const h of hosts) expect(after[h]).not.toBe(first[h]);
    expect((await runFabric(['disconnect'])).stdout).toBe(`closed ${hosts.length} held connections\n`);
    expect((await runFabric(['disconnect'])).stdout).toBe('no held connections\n');
  });

  it('a host key revoked after the first run refuses the held connection too', async () => {
    const known = join(dir, 'known_hosts');
    copyFileSync(lab.knownHostsFile, known);
    const vars = ['-e', `fabric_known_hosts=${known}`];
    await sessions(vars);
    writeFileSync(known, readFileSync(known, 'utf8').replace(/^(?=\S)/gm, '@revoked '));
    const r = await runFabric(['play', join(dir, 'session.yml'), '-i', lab.inventoryPath, '-l', hosts.join(','), ...vars], { env: HELD });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    for (const h of hosts) expect(recap(r.stdout)[h], r.stdout).toMatchObject({ unreachable: 1, ok: 0 });
    expect(r.stdout).toMatch(/REVOKED/);
  });

  it('a connection that dies while parked is replaced, not handed to the next run', async () => {
    const first = await sessions();
    const [victim, other] = hosts as [string, string];
    // The held shell's parent is its connection's sshd process: killing it closes the connection.
    await sh(victim, `kill $(ps -o ppid= -p ${first[victim]})`);
    const after = await sessions();
    expect(after[victim]).not.toBe(first[victim]);
    expect(after[other]).toBe(first[other]);
  });

  it('a parked connection whose host stopped answering (close not seen) is replaced when the probe sent at once gets no answer, and the probe runs again', async () => {
    const first = await sessions();
    const [victim, other] = hosts as [string, string];
    // The probe (a stat's read-ahead) goes out on the lent connection at once; a frozen sshd never
    // answers it, so after -T (plus the run lock's wait) the holder connects anew and sends the probe again (it only reads).
    const pb = join(dir, 'probe-first.yml');
    writeFileSync(pb, SESSION_PLAY.replace('  tasks:\n', '  tasks:\n    - stat: {path: /etc/hostname}\n'));
    const sshd = await sh(victim, `ps -o ppid= -p ${first[victim]}`);
    await sh(victim, `kill -STOP ${sshd}`);
    try {
      const t0 = Date.now();
      const r = await runFabric(['play', pb, '-i', lab.inventoryPath, '-l', hosts.join(','), '-T', '2'], { env: HELD });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const after = Object.fromEntries([...r.stdout.matchAll(/ok: \[(\S+)\] => session=\s*(\d+)/g)].map((m) => [m[1], m[2]]));
      expect(after[victim]).toBeDefined();
      expect(after[victim]).not.toBe(first[victim]);
      expect(after[other]).toBe(first[other]);
    } finally {
      await sh(victim, `kill -CONT ${sshd}; kill ${sshd} 2>/dev/null || true`);
    }
  });

  it('Ctrl-C in a held run stops its command on the host and drops that connection', async () => {
    const before = await sessions();
    const host = hosts[0]!;
    const pb = join(dir, 'hang.yml');
    writeFileSync(pb, `- hosts: ${host}\n  gather_facts: false\n  tasks:\n    - command: sleep 296\n`);
    const r = startFabric(['play', pb, '-i', lab.inventoryPath], { ...HELD, FABRIC_INTERRUPT_GRACE_MS: '1000' });
    await waitFor('sleep 296 to run', async () => (await sh(host, 'pgrep -fx "sleep 296" || true')) !== '', 60_000, 100);
    r.child.kill('SIGINT');
    expect(await r.done, r.stdout() + r.stderr()).toBe(130);
    await waitFor('sleep 296 to end on the host', async () => (await sh(host, 'pgrep -fx "sleep 296" || true')) === '', 10_000, 100);
    const after = await sessions();
    expect(after[host]).not.toBe(before[host]);
    expect(after[hosts[1]!]).toBe(before[hosts[1]!]);
  });

  it('a run killed outright (SIGKILL) leaves no command running on the host: the holder stops it', async () => {
    const host = hosts[1]!;
    const pb = join(dir, 'killed.yml');
    writeFileSync(pb, `- hosts: ${host}\n  gather_facts: false\n  tasks:\n    - command: sleep 295\n`);
    const r = startFabric(['play', pb, '-i', lab.inventoryPath], HELD);
    await waitFor('sleep 295 to run', async () => (await sh(host, 'pgrep -fx "sleep 295" || true')) !== '', 60_000, 100);
    r.child.kill('SIGKILL');
    await r.done;
    await waitFor('sleep 295 to end on the host', async () => (await sh(host, 'pgrep -fx "sleep 295" || true')) === '', 15_000, 100);
  });
});
