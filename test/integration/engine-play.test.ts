import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { stopTestSshd, testSshd, type TestSshd } from '../support/sshd.js';

let sshd: TestSshd;
let dir: string;
let inv: string;
let base: string;

const PLAYBOOK = `
- name: converge web and db
  hosts: web:db
  vars:
    motd: "hello {{ inventory_hostname }}"
  tasks:
    - name: host dir
      file: {path: "{{ base }}/{{ inventory_hostname }}", state: directory}
    - name: motd
      copy: {dest: "{{ base }}/{{ inventory_hostname }}/motd", content: "{{ motd }} {{ color }}\\n"}
      notify: motd changed
    - name: config line
      lineinfile: {path: "{{ base }}/{{ inventory_hostname }}/conf", line: "color={{ color }}", create: true}
      tags: [conf]
    - name: read motd back
      command: cat {{ base }}/{{ inventory_hostname }}/motd
      register: m
      changed_when: false
    - name: motd is what we wrote
      assert: {that: ["'hello ' + inventory_hostname in m.stdout", "m.rc == 0"]}
    - name: one file per item
      copy: {dest: "{{ base }}/{{ inventory_hostname }}/{{ item }}", content: "{{ item }}\\n"}
      loop: [a, b]
    - name: only on web
      copy: {dest: "{{ base }}/{{ inventory_hostname }}/web-only", content: "x\\n"}
      when: "inventory_hostname in groups.web"
      tags: [never]
    - block:
        - name: fails on purpose
          command: "false"
          changed_when: false
      rescue:
        - name: rescued
          set_fact: {was_rescued: true}
      always:
        - name: always runs
          debug: {msg: "always"}
  handlers:
    - name: motd changed
      command: touch {{ base }}/{{ inventory_hostname }}/handler-ran
`;

beforeAll(async () => {
  sshd = await testSshd();
  dir = mkdtempSync(join(tmpdir(), 'fabric-engine-'));
  base = join(dir, 'hosts');
  mkdirSync(base);
  inv = join(dir, 'inventory.yml');
  writeFileSync(
    inv,
    `all:
  vars:
    fabric_host: 127.0.0.1
    fabric_port: ${sshd.port}
    fabric_user: root
    fabric_ssh_key: ${sshd.keyFile}
    fabric_known_hosts: ${sshd.knownHostsFile}
    base: ${base}
  children:
    web:
      hosts:
        h1: {color: red}
        h2: {color: blue}
    db:
      hosts:
        h3: {}
      vars: {color: green}
    down:
      hosts:
        dead: {fabric_port: 1}
`,
  );
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
});

afterAll(async () => {
  await stopTestSshd();
  rmSync(dir, { recursive: true, force: true });
});

describe('fabric play over real SSH', () => {
  it('converges, notifies the handler once, rescues the failed block, and a second run changes nothing', async () => {
    const first = await runFabric(['play', join(dir, 'site.yml'), '-i', inv]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r1 = recap(first.stdout);
    expect(Object.keys(r1).sort()).toEqual(['h1', 'h2', 'h3']);
    for (const h of ['h1', 'h2', 'h3']) {
      // dir, motd, config line, 2 loop items (1 task), handler = 5 changed; rescued block counted as rescued.
      expect(r1[h]).toMatchObject({ changed: 5, failed: 0, unreachable: 0, rescued: 1 });
      expect(readFileSync(join(base, h, 'motd'), 'utf8')).toBe(`hello ${h} ${h === 'h3' ? 'green' : h === 'h1' ? 'red' : 'blue'}\n`);
      expect(existsSync(join(base, h, 'handler-ran'))).toBe(true);
      expect(existsSync(join(base, h, 'web-only'))).toBe(false); // tagged never
    }
    rmSync(join(base, 'h1', 'handler-ran'));
    const second = await runFabric(['play', join(dir, 'site.yml'), '-i', inv]);
    expect(second.code).toBe(0);
    const r2 = recap(second.stdout);
    for (const h of ['h1', 'h2', 'h3']) expect(r2[h]).toMatchObject({ changed: 0, failed: 0 });
    expect(existsSync(join(base, 'h1', 'handler-ran'))).toBe(false); // not notified when nothing changed
  });

  it('--check reports what would change and changes nothing', async () => {
    writeFileSync(join(base, 'h2', 'conf'), 'color=purple\n');
    const run = await runFabric(['play', join(dir, 'site.yml'), '-i', inv, '--check', '--limit', 'h2', '--diff']);
    expect(run.code).toBe(0);
    // Only the config line differs; read-only probes (changed_when: false) still ran, so the assert passed.
    expect(recap(run.stdout).h2).toMatchObject({ changed: 1, failed: 0, rescued: 1 });
    expect(readFileSync(join(base, 'h2', 'conf'), 'utf8')).toBe('color=purple\n');
    expect(run.stdout).toContain('+color=blue');
  });

  it('--tags runs only the tagged part', async () => {
    rmSync(join(base, 'h3', 'conf'));
    const run = await runFabric(['play', join(dir, 'site.yml'), '-i', inv, '--tags', 'conf', '--limit', 'h3']);
    expect(run.code).toBe(0);
    expect(recap(run.stdout).h3).toMatchObject({ ok: 1, changed: 1 });
    expect(readFileSync(join(base, 'h3', 'conf'), 'utf8')).toBe('color=green\n');
  });

  it('an unreachable host is reported per host with exit 4 while the others converge', async () => {
    const pb = join(dir, 'reach.yml');
    writeFileSync(pb, `- hosts: h1:dead\n  tasks:\n    - copy: {dest: "{{ base }}/{{ inventory_hostname }}-reach", content: "x"}\n`);
    const run = await runFabric(['play', pb, '-i', inv, '--timeout', '3']);
    expect(run.code).toBe(4);
    const r = recap(run.stdout);
    expect(r.dead).toMatchObject({ unreachable: 1, ok: 0 });
    expect(r.h1).toMatchObject({ changed: 1, unreachable: 0 });
    expect(run.stdout).toMatch(/unreachable: \[dead\]/);
  });

  it('a failed task stops that host only and exits 2', async () => {
    const pb = join(dir, 'fail.yml');
    writeFileSync(
      pb,
      `- hosts: web
  tasks:
    - command: "test {{ color }} = red"
      changed_when: false
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}-after", content: "x"}
`,
    );
    const run = await runFabric(['play', pb, '-i', inv]);
    expect(run.code).toBe(2);
    const r = recap(run.stdout);
    expect(r.h1).toMatchObject({ failed: 0, changed: 1 });
    expect(r.h2).toMatchObject({ failed: 1, changed: 0 });
    expect(existsSync(join(base, 'h2-after'))).toBe(false);
  });
});
