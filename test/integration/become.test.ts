// become with a sudo password, on a lab host: a login user (alice) whose sudo asks for her
// password. The script and the password never appear on a command line, where any user of the
// host could read them in `ps`; a wrong password fails the task without showing it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';
import { startFabric, waitFor } from '../support/reliability.js';

const PASSWORD = 'alice-Sudo-9f3b2c';
const MARKER = 'become-marker-5d1e';
let lab: LabInfo;
let host: string;
let dir: string;

async function onHost(script: string): Promise<string> {
  const r = await labExecCapture(host, ['sh', '-c', script], { repoRoot: REPO, name: lab.name });
  expect(r.code, `${script}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const play = (tasks: string) => {
  const pb = join(dir, 'become.yml');
  writeFileSync(pb, `- hosts: ${host}\n  gather_facts: false\n  become: true\n  tasks:\n${tasks}`);
  return pb;
};
const asAlice = (pb: string, pwFile: string) => ['play', pb, '-i', lab.inventoryPath, '-e', 'fabric_user=alice', '--become-password-file', pwFile];

describeLab('become with a sudo password', () => {
  beforeAll(async () => {
    lab = requireLab();
    host = lab.hosts[2]!.name;
    dir = mkdtempSync(join(tmpdir(), 'fabric-become-'));
    writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
    writeFileSync(join(dir, 'wrong'), 'not-her-password\n');
    await onHost(
      [
        'id alice >/dev/null 2>&1 || useradd -m -s /bin/sh alice',
        `echo 'alice:${PASSWORD}' | chpasswd`,
        "echo 'alice ALL=(ALL) ALL' > /etc/sudoers.d/fabric-test-alice && chmod 440 /etc/sudoers.d/fabric-test-alice",
        'mkdir -p ~alice/.ssh && cp /root/.ssh/authorized_keys ~alice/.ssh/ && chown -R alice: ~alice/.ssh && chmod 700 ~alice/.ssh',
        'echo root-only > /root/become-secret && chmod 600 /root/become-secret',
      ].join(' && '),
    );
  });

  afterAll(async () => {
    if (host) await onHost('rm -f /etc/sudoers.d/fabric-test-alice /root/become-secret; pkill -u alice; userdel -r alice 2>/dev/null; true');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs tasks and reads facts as root, with neither the script nor the password on any command line', async () => {
    const pb = play(
      [
        '    - stat: {path: /root/become-secret}', // a fact read through sudo: only root sees the file
        '      register: secret',
        "    - assert: {that: ['secret.stat.exists']}",
        '    - command: whoami',
        '      register: who',
        '      changed_when: false',
        // the environment travels in fabric's script: with the script on sudo's command line, ps showed it
        '    - command: sleep 3',
        `      environment: {FAB_TEST_TOKEN: ${MARKER}}`,
        "    - assert: {that: [\"who.stdout == 'root'\"]}",
        '',
      ].join('\n'),
    );
    const r = startFabric(asAlice(pb, join(dir, 'pw')));
    // While the sleep runs: every command line on the host, the sudo and its shell's included.
    const seen = await waitFor('the sleep to run', async () => {
      const ps = await onHost('ps -eo user,args');
      return ps.includes('sleep 3') ? ps : undefined;
    }, 30_000, 100);
    expect(await r.done, r.stdout() + r.stderr()).toBe(0);
    expect(seen).not.toContain(MARKER);
    expect(seen).not.toContain(PASSWORD);
    expect(seen).toMatch(/^root +sudo -A -p __FAB_BECOME_PW -H -u root -- \/bin\/sh -s$/m);
    expect(recap(r.stdout())[host]).toMatchObject({ failed: 0, changed: 1 });
    expect(r.stdout() + r.stderr()).not.toContain(PASSWORD);
  });

  it('a wrong password fails the task on that host, and is not shown', async () => {
    const r = await runFabric(asAlice(play('    - command: whoami\n'), join(dir, 'wrong')));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(recap(r.stdout)[host]).toMatchObject({ failed: 1 });
    expect(r.stdout).toMatch(/incorrect password|password/i);
    expect(r.stdout + r.stderr).not.toContain('not-her-password');
  });
});
