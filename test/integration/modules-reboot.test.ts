import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labExecCapture, labUp, type LabInfo } from '../../src/lab/index.js';
import { rebootScript } from '../../src/modules/reboot.js';
import { recap, REPO, runFabric } from '../support/fabric.js';

// reboot and wait_for_connection on a lab of their own: a lab host reboots for real (its
// processes end, its sshd comes back with a new boot id, /tmp is empty, its disk is kept).
const opts = { repoRoot: REPO, name: 'rbt', hosts: 2 };
let lab: LabInfo | undefined;
let dir: string;

const bootId = async (host: string) => (await labExecCapture(host, ['cat', '/proc/sys/kernel/random/boot_id'], opts)).stdout.trim();

async function play(yaml: string, ...flags: string[]) {
  const file = join(dir, 'play.yml');
  writeFileSync(file, yaml);
  const r = await runFabric(['play', '-i', lab!.inventoryPath, file, ...flags], { timeoutMs: 120_000 });
  return { ...r, recap: recap(r.stdout) };
}

beforeAll(async (suite) => {
  if (process.getuid?.() !== 0) {
    for (const t of suite.tasks) t.mode = 'skip';
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'fabric-reboot-'));
  await labDown(opts);
  lab = await labUp(opts);
});
afterAll(async () => {
  if (lab) await labDown(opts);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('reboot', () => {
  it('reboots both hosts, waits for a new boot id, and the run goes on over new connections; the disk stays, /tmp does not', async () => {
    const before = { h1: await bootId('h1'), h2: await bootId('h2') };
    const r = await play(`
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "kept\\n", dest: /etc/kept}
    - copy: {content: "scratch\\n", dest: /tmp/scratch}
    - ansible.builtin.reboot: {msg: kernel update}
      register: rb
    - command: cat /proc/sys/kernel/random/boot_id
      register: after
      changed_when: false
    - stat: {path: /tmp/scratch}
      register: scratch
    - slurp: {src: /etc/kept}
      register: kept
    - assert:
        that:
          - rb.rebooted and rb.changed
          - rb.elapsed >= 0
          - not scratch.stat.exists
          - (kept.content | b64decode) == 'kept\\n'
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.recap.h1).toMatchObject({ changed: 3, failed: 0, unreachable: 0 });
    expect(r.recap.h2).toMatchObject({ changed: 3, failed: 0, unreachable: 0 });
    for (const h of ['h1', 'h2'] as const) expect(await bootId(h)).not.toBe(before[h]);
  });

  it('check mode reports the reboot and reboots nothing', async () => {
    const before = await bootId('h1');
    const r = await play(`
- hosts: h1
  gather_facts: false
  tasks:
    - reboot:
      register: rb
    - assert: {that: ["rb.rebooted", "rb.changed", "rb.elapsed == 0"]}
`, '--check');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.recap.h1).toMatchObject({ changed: 1, ok: 2 });
    expect(await bootId('h1')).toBe(before);
  });

  it('a failing reboot command fails the host (not rebooted); bad arguments stop the run before any host (exit 5)', async () => {
    const before = await bootId('h1');
    const r = await play(`
- hosts: h1
  gather_facts: false
  tasks:
    - reboot: {reboot_command: /bin/false}
`);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Reboot command failed');
    expect(await bootId('h1')).toBe(before);
    const bad = await play(`
- hosts: h1
  gather_facts: false
  tasks:
    - reboot: {reboot_timeout: 0, post_reboot_delay: soon}
`);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/play\.yml:5/);
    expect(bad.stderr).toMatch(/reboot_timeout|post_reboot_delay/);
  });

  it('builds the command as Ansible: shutdown found in search_paths, the delay in whole minutes, the message quoted', () => {
    expect(rebootScript({ pre_reboot_delay: 150, msg: "it's time" })).toContain(`exec "$d"/shutdown -r 2 'it'\\''s time'`);
    expect(rebootScript({})).toContain('for d in /sbin /bin /usr/sbin /usr/bin /usr/local/sbin; do');
    expect(rebootScript({ pre_reboot_delay: 59 })).toContain(`-r 0 'Reboot initiated by Ansible'`);
    expect(rebootScript({ reboot_command: '/usr/bin/systemctl reboot' })).toBe('/usr/bin/systemctl reboot');
    expect(rebootScript({ reboot_command: 'reboot', search_paths: '/opt/my bin' })).toContain(`for d in '/opt/my bin'; do`);
  });
});

describe('wait_for_connection', () => {
  it('waits out a host that went down under it and goes on over a new connection', async () => {
    const r = await play(`
- hosts: h2
  gather_facts: false
  tasks:
    - command: cat /proc/sys/kernel/random/boot_id
      register: before
    - command: shutdown -r now
    - wait_for_connection: {delay: 2, sleep: 1, timeout: 60}
      register: w
    - command: cat /proc/sys/kernel/random/boot_id
      register: after
    - assert: {that: ["before.stdout != after.stdout", "not w.changed"]}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.recap.h2).toMatchObject({ failed: 0, unreachable: 0, ok: 5 });
  });

  it('gives up after its timeout on a host that never answers, naming why', async () => {
    const r = await play(`
- hosts: h1
  gather_facts: false
  tasks:
    - wait_for_connection: {timeout: 3, connect_timeout: 1}
`, '-e', 'fabric_port=2');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('timed out waiting for ping module test');
    expect(r.recap.h1).toMatchObject({ failed: 1 });
  });
});
