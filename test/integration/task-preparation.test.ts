import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { testSshd, type TestSshd } from '../support/sshd.js';

// What `fabric check` accepts, `fabric play` does: each case was accepted by check and then
// failed or misbehaved at run time (issue 15), against a real sshd here.
let sshd: TestSshd;
let dir: string;
let inv: string;
let out: string;

beforeAll(async () => {
  sshd = await testSshd();
  dir = mkdtempSync(join(tmpdir(), 'fabric-prepare-'));
  out = join(dir, 'out');
  mkdirSync(out);
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
    out: ${out}
  hosts:
    h1: {}
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A playbook (and files beside it) in its own directory; returns the playbook's path. */
function project(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return join(root, 'site.yml');
}

const check = (pb: string) => runFabric(['check', pb, '-i', inv]);
const play = (pb: string, ...more: string[]) => runFabric(['play', pb, '-i', inv, ...more]);

describe('one task preparation for check and play', () => {
  it("a role's copy src found in the playbook's files/ by check is found by the run too", async () => {
    const pb = project('files-path', {
      'site.yml': '- hosts: all\n  gather_facts: false\n  roles: [r]\n',
      'roles/r/tasks/main.yml': '- copy: { src: shared.conf, dest: "{{ out }}/shared.conf" }\n',
      'files/shared.conf': 'from the playbook\n',
    });
    expect((await check(pb)).code).toBe(0);
    const r = await play(pb);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(out, 'shared.conf'), 'utf8')).toBe('from the playbook\n');
  });

  it('a role default that reads facts gets the facts gathered before the task that uses it', async () => {
    const pb = project('facts-default', {
      'site.yml': '- hosts: all\n  roles: [r]\n',
      'roles/r/defaults/main.yml': 'family: "{{ facts.os_family }}"\nshown: "os={{ family }}"\n',
      'roles/r/tasks/main.yml': '- copy: { dest: "{{ out }}/family", content: "{{ shown }}\\n" }\n',
    });
    expect((await check(pb)).code).toBe(0);
    const r = await play(pb);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(out, 'family'), 'utf8')).toMatch(/^os=\w+\n$/);
  });

  it('a module check refused on a literal value is refused on the same value through a variable, at the same line', async () => {
    const file = join(out, 'sysctl.conf');
    const task = (value: string) => `- hosts: all\n  gather_facts: false\n  vars:\n    two: "1\\nkernel.sysrq=1"\n  tasks:\n    - sysctl: { name: net.ipv4.ip_forward, value: ${value}, sysctl_file: ${file}, reload: false }\n`;
    const literal = await check(project('sysctl-literal', { 'site.yml': task('"1\\nkernel.sysrq=1"') }));
    expect(literal.code).toBe(5);
    expect(literal.stderr + literal.stdout).toMatch(/site\.yml:6:\d+: sysctl: value must be one line/);
    const viaVar = await play(project('sysctl-var', { 'site.yml': task('"{{ two }}"') }));
    expect(viaVar.code).toBe(2);
    expect(viaVar.stdout).toMatch(/site\.yml:6:\d+: sysctl: value must be one line/);
    expect(() => readFileSync(file)).toThrow(); // nothing written
  });

  it('get_url with a symbolic mode is ok on a rerun, like file with the same mode', async () => {
    writeFileSync(join(dir, 'payload'), 'payload\n');
    const pb = project('get-url-mode', {
      'site.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - get_url: { url: "file://${join(dir, 'payload')}", dest: "{{ out }}/tool", mode: u+x }\n    - file: { path: "{{ out }}/tool", mode: u+x }\n`,
    });
    const first = await play(pb);
    expect(first.code, first.stdout).toBe(0);
    const again = await play(pb);
    expect(again.code, again.stdout).toBe(0);
    expect(recap(again.stdout).h1).toMatchObject({ ok: 2, changed: 0 });
  });
});

describe('block and include keywords', () => {
  for (const [key, value] of [['loop', '[1, 2]'], ['register', 'r'], ['changed_when', 'false']] as const) {
    it(`a block with ${key} is refused by check with its line`, async () => {
      const pb = project(`block-${key}`, {
        'site.yml': `- hosts: all\n  tasks:\n    - block:\n        - debug: { msg: hi }\n      ${key}: ${value}\n`,
      });
      const r = await check(pb);
      expect(r.code).toBe(5);
      expect(r.stderr + r.stdout).toMatch(new RegExp(`site\\.yml:5:\\d+: '${key}' is not a valid keyword for a block`));
    });
  }

  it("a block's notify reaches the handler when a task inside changed, and must name a handler", async () => {
    const body = (handler: string) =>
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n        - copy: { dest: "{{ out }}/notified", content: "x\\n" }\n      notify: ${handler}\n  handlers:\n    - name: done\n      copy: { dest: "{{ out }}/handler-ran", content: "y\\n" }\n`;
    const bad = await check(project('block-notify-bad', { 'site.yml': body('nothing') }));
    expect(bad.code).toBe(5);
    expect(bad.stderr + bad.stdout).toMatch(/notify 'nothing' matches no handler/);
    const r = await play(project('block-notify', { 'site.yml': body('done') }));
    expect(r.code, r.stdout).toBe(0);
    expect(readFileSync(join(out, 'handler-ran'), 'utf8')).toBe('y\n');
  });

  it('include_tasks with loop and loop_control runs the included tasks once per item', async () => {
    const pb = project('include-loop', {
      'site.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - include_tasks: each.yml\n      loop: [a, b, c]\n      loop_control: { loop_var: part }\n`,
      'each.yml': '- lineinfile: { path: "{{ out }}/parts", line: "{{ part }}", create: true }\n',
    });
    expect((await check(pb)).code).toBe(0);
    const r = await play(pb);
    expect(r.code, r.stdout).toBe(0);
    expect(readFileSync(join(out, 'parts'), 'utf8')).toBe('a\nb\nc\n');
    expect(recap(r.stdout).h1).toMatchObject({ changed: 3 });
  });

  it('import_tasks with loop is refused (imports are resolved before the run)', async () => {
    const pb = project('import-loop', {
      'site.yml': `- hosts: all\n  tasks:\n    - import_tasks: each.yml\n      loop: [a]\n`,
      'each.yml': '- debug: { msg: x }\n',
    });
    const r = await check(pb);
    expect(r.code).toBe(5);
    expect(r.stderr + r.stdout).toMatch(/site\.yml:4:\d+: 'loop' is not a valid keyword for import_tasks/);
  });
});
