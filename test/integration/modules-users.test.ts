// user, group and authorized_key on a real lab host (its root an overlay: nothing here touches
// this machine's accounts). Each module: a first run changes, a rerun is ok in one round trip,
// check mode changes nothing and says changed, state absent works, bad arguments are exit 5
// before any host. The password hash never reaches the output.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { countedPlays, type CountedRun } from '../support/counted-play.js';
import { REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const tag = randomBytes(3).toString('hex');
const G = `fg${tag}`; // primary group
const G2 = `fs${tag}`; // supplementary group
const U = `fu${tag}`;
const GID = 23000 + (parseInt(tag, 16) % 500) * 2;
const UID = GID + 1;
// openssl passwd -6 -salt saltsalt pw
const HASH = '$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/';
const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFabricTestKeyOne000000000000000000000000 one@test';
const K2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFabricTestKeyTwo000000000000000000000000 two@test';

let lab: LabInfo;
let host: string;
const plays = countedPlays();
afterAll(async () => {
  if (host) await sh(`userdel -r ${U} 2>/dev/null; groupdel ${G2} 2>/dev/null; groupdel ${G} 2>/dev/null; true`);
  plays.remove();
});
beforeAll(() => {
  lab = requireLab();
  host = lab.hosts.find((h) => h.name === 'w2')!.name;
});

/** A shell command on the lab host itself, not through fabric. */
async function sh(cmd: string): Promise<{ code: number; stdout: string }> {
  return labExecCapture(host, ['sh', '-c', cmd], { repoRoot: REPO, name: lab.name });
}

const play = (tasks: string) => `- hosts: ${host}\n  gather_facts: false\n  tasks:\n${tasks}`;
const run = (tasks: string, o: { check?: boolean; diff?: boolean } = {}) => plays.run(play(tasks), lab.inventoryPath, o);
const status = (r: CountedRun, task: string) => r.outcomes.get(task)?.get(host)?.status;
const result = (r: CountedRun, task: string) => r.outcomes.get(task)!.get(host)!.result as Record<string, unknown>;

const groupTask = (gid: number, state = 'present') => `    - name: grp\n      ansible.builtin.group: {name: ${G}, gid: ${gid}, state: ${state}}\n`;
const groupsTasks = `${groupTask(GID)}    - name: grp2\n      ansible.builtin.group: {name: ${G2}, system: true}\n`;
const userTask = (extra = '') =>
  `    - name: usr\n      ansible.builtin.user: {name: ${U}, uid: ${UID}, group: ${G}, groups: [${G2}], shell: /bin/bash, comment: Fabric User, password: '${HASH}'${extra}}\n`;
const keyTask = (key: string, extra = '') => `    - name: key\n      ansible.posix.authorized_key: {user: ${U}, key: "${key}"${extra}}\n`;

describeLab('group, user and authorized_key on a lab host', () => {
  it('group: check mode changes nothing; a run adds it; a rerun is one round trip; gid changes; absent removes', { timeout: 120_000 }, async () => {
    const check = await run(groupTask(GID), { check: true });
    expect(check.exitCode).toBe(0);
    expect(status(check, 'grp')).toBe('changed');
    expect((await sh(`getent group ${G}`)).code).toBe(2);

    const first = await run(groupTask(GID));
    expect(status(first, 'grp')).toBe('changed');
    expect(result(first, 'grp')).toMatchObject({ name: G, state: 'present', gid: GID, system: false });
    expect((await sh(`getent group ${G}`)).stdout).toBe(`${G}:x:${GID}:\n`);

    const again = await run(groupTask(GID));
    expect(status(again, 'grp')).toBe('ok');
    expect(again.total(host)).toEqual({ execs: 1, uploads: 0 });

    const moved = await run(groupTask(GID + 500), { check: true });
    expect(status(moved, 'grp')).toBe('changed');
    expect((await sh(`getent group ${G}`)).stdout).toContain(`:${GID}:`);
    expect(status(await run(groupTask(GID + 500)), 'grp')).toBe('changed');
    expect((await sh(`getent group ${G}`)).stdout).toContain(`:${GID + 500}:`);

    expect(status(await run(groupTask(GID, 'absent')), 'grp')).toBe('changed');
    expect((await sh(`getent group ${G}`)).code).toBe(2);
    const gone = await run(groupTask(GID, 'absent'));
    expect(status(gone, 'grp')).toBe('ok');
    expect(gone.total(host)).toEqual({ execs: 1, uploads: 0 });
  });

  it('user: created with uid, groups, shell, comment and hash; a rerun is one round trip; check mode changes nothing; absent with remove', { timeout: 120_000 }, async () => {
    // Check mode on a user to create (its groups not there yet either): changed, nothing made.
    const check = await run(groupsTasks + userTask(), { check: true });
    expect(check.exitCode).toBe(0);
    expect(status(check, 'usr')).toBe('changed');
    expect((await sh(`getent passwd ${U}`)).code).toBe(2);

    const first = await run(groupsTasks + userTask());
    expect(first.exitCode).toBe(0);
    expect(status(first, 'usr')).toBe('changed');
    expect(result(first, 'usr')).toMatchObject({
      name: U, state: 'present', uid: UID, group: GID, groups: G2, home: `/home/${U}`, shell: '/bin/bash', comment: 'Fabric User', create_home: true, system: false, password: 'NOT_LOGGING_PASSWORD',
    });
    expect(JSON.stringify(result(first, 'usr'))).not.toContain(HASH);
    expect((await sh(`getent passwd ${U}`)).stdout).toBe(`${U}:x:${UID}:${GID}:Fabric User:/home/${U}:/bin/bash\n`);
    expect((await sh(`id -Gn ${U}`)).stdout.trim().split(' ').sort()).toEqual([G, G2].sort());
    expect((await sh(`getent shadow ${U} | cut -d: -f2`)).stdout.trim()).toBe(HASH);
    expect((await sh(`stat -c %U:%G /home/${U} /home/${U}/.profile`)).stdout).toBe(`${U}:${G}\n${U}:${G}\n`);

    // Everything in shape: the three tasks' facts were read ahead, in the play's one round trip.
    const again = await run(groupsTasks + userTask());
    for (const t of ['grp', 'grp2', 'usr']) expect(status(again, t), t).toBe('ok');
    expect(again.total(host)).toEqual({ execs: 1, uploads: 0 });

    // Check mode on a change: reported, not made.
    const shell = await run(userTask().replace('/bin/bash', '/bin/sh'), { check: true });
    expect(status(shell, 'usr')).toBe('changed');
    expect((await sh(`getent passwd ${U}`)).stdout).toContain(':/bin/bash');

    // A missing supplementary group fails the task, naming it.
    const bad = await run(userTask().replace(`groups: [${G2}]`, 'groups: [nosuchgroup]'));
    expect(status(bad, 'usr')).toBe('failed');
    expect(result(bad, 'usr').msg).toBe('Group nosuchgroup does not exist');

    // append adds without dropping; lock sets the mark; the same hash rerun does not count the mark.
    const lock = await run(userTask(', password_lock: true'));
    expect(status(lock, 'usr')).toBe('changed');
    expect((await sh(`getent shadow ${U} | cut -d: -f2`)).stdout.trim()).toBe(`!${HASH}`);
    expect(status(await run(userTask(', password_lock: true')), 'usr')).toBe('ok');
    expect(status(await run(userTask()), 'usr')).toBe('ok');
  });

  it('user: the hash is not shown at -vvv with --diff, nor in a registered result', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-users-'));
    try {
      const pb = join(dir, 'pb.yml');
      const other = HASH.replace('pauPr', 'xxxxx');
      writeFileSync(pb, play(`${userTask().replace(HASH, other)}      register: u\n    - debug: {var: u}\n`));
      const r = await runFabric(['play', pb, '-i', lab.inventoryPath, '-vvv', '--diff']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('NOT_LOGGING_PASSWORD');
      expect(r.stdout + r.stderr).not.toContain(other);
      expect(r.stdout + r.stderr).not.toContain('saltsalt');
      expect((await sh(`getent shadow ${U} | cut -d: -f2`)).stdout.trim()).toBe(other);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('authorized_key: check and diff first, then written 0600 in a 0700 ~/.ssh of the user; a rerun is one round trip; exclusive; absent', { timeout: 120_000 }, async () => {
    const file = `/home/${U}/.ssh/authorized_keys`;
    const check = await run(keyTask(K1), { check: true, diff: true });
    expect(status(check, 'key')).toBe('changed');
    expect(result(check, 'key').diff).toEqual([{ path: file, before: '', after: `${K1}\n` }]);
    expect((await sh(`test -e ${file}`)).code).toBe(1);

    const first = await run(keyTask(K1));
    expect(status(first, 'key')).toBe('changed');
    expect(result(first, 'key')).toMatchObject({ key: K1, user: U, path: null, manage_dir: true, state: 'present', exclusive: false, key_options: null, keyfile: file });
    expect((await sh(`cat ${file}; stat -c '%a %U:%G' /home/${U}/.ssh ${file}`)).stdout).toBe(`${K1}\n700 ${U}:${G}\n600 ${U}:${G}\n`);

    const again = await run(keyTask(K1));
    expect(status(again, 'key')).toBe('ok');
    expect(again.total(host)).toEqual({ execs: 1, uploads: 0 });

    // Options: the key is rewritten with them; then exclusive keeps only K2.
    expect(status(await run(keyTask(K1, `, key_options: 'no-pty,from="10.0.0.0/8"'`)), 'key')).toBe('changed');
    expect((await sh(`cat ${file}`)).stdout).toBe(`no-pty,from="10.0.0.0/8" ${K1}\n`);
    expect(status(await run(keyTask(K2, ', exclusive: true')), 'key')).toBe('changed');
    expect((await sh(`cat ${file}`)).stdout).toBe(`${K2}\n`);

    const absentCheck = await run(keyTask(K2, ', state: absent'), { check: true });
    expect(status(absentCheck, 'key')).toBe('changed');
    expect((await sh(`cat ${file}`)).stdout).toBe(`${K2}\n`);
    expect(status(await run(keyTask(K2, ', state: absent')), 'key')).toBe('changed');
    expect((await sh(`cat ${file}; stat -c %a ${file}`)).stdout).toBe('600\n');
    const gone = await run(keyTask(K2, ', state: absent'));
    expect(status(gone, 'key')).toBe('ok');
    expect(gone.total(host)).toEqual({ execs: 1, uploads: 0 });

    // A user that does not exist fails the task.
    const nobody = await run(`    - name: key\n      ansible.posix.authorized_key: {user: nosuchuser${tag}, key: "${K1}"}\n`);
    expect(status(nobody, 'key')).toBe('failed');
    expect(result(nobody, 'key').msg).toBe(`Failed to lookup user nosuchuser${tag}`);
  });

  it('the three in one play: a no-op rerun is one round trip in all', { timeout: 120_000 }, async () => {
    const tasks = groupsTasks + userTask() + keyTask(K1);
    expect((await run(tasks)).exitCode).toBe(0);
    const again = await run(tasks);
    for (const t of ['grp', 'grp2', 'usr', 'key']) expect(status(again, t), t).toBe('ok');
    expect(again.total(host)).toEqual({ execs: 1, uploads: 0 });
  });

  it('user absent with remove deletes the account and its home; a rerun is ok in one round trip', { timeout: 120_000 }, async () => {
    const absent = `    - name: usr\n      ansible.builtin.user: {name: ${U}, state: absent, remove: true}\n`;
    const check = await run(absent, { check: true });
    expect(status(check, 'usr')).toBe('changed');
    expect((await sh(`getent passwd ${U}`)).code).toBe(0);
    const r = await run(absent);
    expect(status(r, 'usr')).toBe('changed');
    expect(result(r, 'usr')).toMatchObject({ name: U, state: 'absent', remove: true, force: false });
    expect((await sh(`getent passwd ${U}; test -e /home/${U}`)).code).toBe(1);
    const again = await run(absent);
    expect(status(again, 'usr')).toBe('ok');
    expect(again.total(host)).toEqual({ execs: 1, uploads: 0 });
  });

  it('bad arguments are exit 5 naming file and line, before any host is contacted', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-users-bad-'));
    try {
      const pb = join(dir, 'bad.yml');
      writeFileSync(
        pb,
        play(
          [
            `    - ansible.builtin.user: {name: ${U}, expires: 1}`,
            `    - ansible.builtin.group: {name: 'a:b'}`,
            `    - ansible.posix.authorized_key: {user: ${U}, key: 'not a key'}`,
            `    - ansible.builtin.user: {name: ${U}, password: 'pl:ain'}`,
            '',
          ].join('\n'),
        ),
      );
      const r = await runFabric(['play', pb, '-i', lab.inventoryPath]);
      expect(r.code, r.stdout + r.stderr).toBe(5);
      expect(r.stderr).toMatch(/bad\.yml:4:\d+: .*expires/);
      expect(r.stderr).toMatch(/bad\.yml:5:\d+: group: name 'a:b' is not a valid name/);
      expect(r.stderr).toMatch(/bad\.yml:6:\d+: authorized_key: invalid key specified: not a key/);
      expect(r.stderr).toMatch(/bad\.yml:7:\d+: user: password must be a crypted hash/);
      // The messages never hold the value (the code frame quotes the playbook's own line, as for any error).
      for (const line of r.stderr.split('\n').filter((l) => l.startsWith('error: '))) expect(line).not.toContain('pl:ain');
      expect(r.stderr).toContain('no host was contacted');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
