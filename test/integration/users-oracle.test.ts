// group, user and authorized_key against Ansible itself (Debian's ansible 2.14 with ansible.posix):
// the same play, run twice, by ansible-playbook on one lab host and by fabric on another (fresh
// accounts of this run's names on each). Same changed flag for every task on both runs, and the
// same accounts, memberships, shadow field, home and key file afterwards.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const exec = promisify(execFile);
const tag = randomBytes(3).toString('hex');
const [G, G2, U] = [`og${tag}`, `os${tag}`, `ou${tag}`];
const GID = 24000 + (parseInt(tag, 16) % 400) * 2;
const HASH = '$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/';
const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOracleKeyOne0000000000000000000000000 one@test';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQOracleKeyTwo two@test';
const ANSIBLE_HOST = 'w3';
const FABRIC_HOST = 'w1';

const STATE = `getent passwd ${U}; id -Gn ${U} | tr ' ' '\\n' | sort | tr '\\n' ' '; echo; getent shadow ${U} | cut -d: -f2; stat -c '%a %U:%G %n' /home/${U} /home/${U}/.ssh /home/${U}/.ssh/authorized_keys /srv/${U}; cat /home/${U}/.ssh/authorized_keys; getent group ${G} ${G2}; true`;

const tasks = [
  { name: 'group', 'ansible.builtin.group': { name: G, gid: GID } },
  { name: 'group2', 'ansible.builtin.group': { name: G2, system: true } },
  { name: 'create', 'ansible.builtin.user': { name: U, uid: GID + 1, group: G, groups: [G2], shell: '/bin/bash', comment: 'Oracle User', password: HASH } },
  { name: 'append', 'ansible.builtin.user': { name: U, groups: ['users'], append: true } },
  { name: 'lock', 'ansible.builtin.user': { name: U, password_lock: true } },
  { name: 'same hash', 'ansible.builtin.user': { name: U, password: HASH } },
  { name: 'extra home', 'ansible.builtin.user': { name: `${U}x`, home: `/srv/${U}`, create_home: true, system: true } },
  { name: 'key', 'ansible.posix.authorized_key': { user: U, key: K1, key_options: 'no-pty' } },
  { name: 'key2', 'ansible.posix.authorized_key': { user: U, key: `${K2}\n${K1}`, comment: 'both' } },
  { name: 'key exclusive', 'ansible.posix.authorized_key': { user: U, key: K2, exclusive: true } },
  { name: 'key absent', 'ansible.posix.authorized_key': { user: U, key: K1, state: 'absent' } },
  { name: 'gid change', 'ansible.builtin.group': { name: G2, gid: GID + 300 } },
  { name: 'state', command: { argv: ['sh', '-c', STATE] }, changed_when: false },
];
const play = (host: string) => JSON.stringify([{ hosts: host, gather_facts: false, tasks }]);

let lab: LabInfo;
const dir = mkdtempSync(join(tmpdir(), 'fabric-users-oracle-'));
afterAll(async () => {
  const clean = `userdel -r ${U} 2>/dev/null; userdel -r ${U}x 2>/dev/null; groupdel ${G2}; groupdel ${G}; true`;
  if (lab) for (const h of [ANSIBLE_HOST, FABRIC_HOST]) await labExecCapture(h, ['sh', '-c', clean], { repoRoot: REPO, name: lab.name });
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  changed: Record<string, boolean>;
  failed: string[];
  state: string;
}

async function ansibleRun(): Promise<Run> {
  // @ts-expect-error: a plain .mjs helper of the bench, without types
  const { writeAnsibleEnv } = (await import('../../bench/ansible-env.mjs')) as { writeAnsibleEnv(dir: string, lab: LabInfo): { env: Record<string, string> } };
  const { env } = writeAnsibleEnv(join(dir, 'ansible'), lab);
  const pb = join(dir, 'ansible.yml');
  writeFileSync(pb, play(ANSIBLE_HOST));
  const { stdout } = await exec('ansible-playbook', [pb], { env: { ...process.env, ...env, ANSIBLE_STDOUT_CALLBACK: 'json' }, maxBuffer: 1 << 24 }).catch((e: { stdout: string }) => e);
  const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean; stdout?: string }> }> }> };
  const out: Run = { changed: {}, failed: [], state: '' };
  for (const t of report.plays[0]!.tasks) {
    const h = t.hosts[ANSIBLE_HOST]!;
    out.changed[t.task.name] = !!h.changed;
    if (h.failed) out.failed.push(t.task.name);
    if (t.task.name === 'state') out.state = h.stdout ?? '';
  }
  return out;
}

async function fabricRun(): Promise<Run> {
  const pb = join(dir, 'fabric.yml');
  writeFileSync(pb, play(FABRIC_HOST));
  const r = await runFabric(['play', pb, '-i', lab.inventoryPath, '--json']);
  const report = JSON.parse(r.stdout) as { plays: Array<{ tasks: Array<{ name: string; hosts: Record<string, { changed: boolean; failed: boolean; stdout: string | null }> }> }> };
  const out: Run = { changed: {}, failed: [], state: '' };
  for (const t of report.plays[0]!.tasks) {
    const h = t.hosts[FABRIC_HOST]!;
    out.changed[t.name] = h.changed;
    if (h.failed) out.failed.push(t.name);
    if (t.name === 'state') out.state = h.stdout ?? '';
  }
  return out;
}

describeLab('group, user and authorized_key = Ansible', () => {
  it('the same play twice: same changed flags, same host state', { timeout: 300_000 }, async () => {
    lab = requireLab();
    const theirs = [await ansibleRun(), await ansibleRun()];
    const ours = [await fabricRun(), await fabricRun()];
    for (const i of [0, 1]) {
      expect(theirs[i]!.failed, `ansible run ${i + 1}`).toEqual([]);
      expect(ours[i]!.changed, `run ${i + 1}`).toEqual(theirs[i]!.changed);
      expect(ours[i]!.failed, `run ${i + 1}`).toEqual([]);
      // Everything but the dates of the files is the same.
      expect(ours[i]!.state, `run ${i + 1}`).toBe(theirs[i]!.state);
    }
    // The first run changes every task but the no-ops (the hash already set, the key exclusive already removed) and the read.
    expect(Object.entries(theirs[0]!.changed).filter(([, c]) => !c).map(([t]) => t)).toEqual(['same hash', 'key absent', 'state']);
    expect(theirs[0]!.state).toContain(`${U}:x:${GID + 1}:${GID}:Oracle User:/home/${U}:/bin/bash`);
  });
});
