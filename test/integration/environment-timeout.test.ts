import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// environment and timeout over the real test sshd: the variables must reach the host's shell, and a
// task past its timeout must be stopped there while other hosts go on.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

describe('environment', () => {
  it('play, block and task environment reach the command, merged (inner wins), values templated and quoted', async () => {
    const r = await pd.play(`
- hosts: nodes
  environment: {FAB_A: play, FAB_B: play}
  vars: {who: "it's {{ inventory_hostname }}"}
  tasks:
    - block:
        - shell: 'echo "$FAB_A/$FAB_B/$FAB_C"'
          register: out
          environment: {FAB_C: "{{ who }}"}
          changed_when: false
      environment: {FAB_B: block}
    - shell: 'echo "$FAB_A/$FAB_B"'
      register: out2
      changed_when: false
    - assert:
        that:
          - out.stdout == "play/block/it's " ~ inventory_hostname
          - out2.stdout == "play/play"
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(recap(r.stdout).n2).toMatchObject({ ok: 3, failed: 0 });
  });

  it("a role's environment and timeout apply to its tasks", async () => {
    mkdirSync(join(pd.dir, 'roles', 'envrole', 'tasks'), { recursive: true });
    writeFileSync(
      join(pd.dir, 'roles', 'envrole', 'tasks', 'main.yml'),
      `- shell: 'echo "$FAB_ROLE"'\n  register: r\n  changed_when: false\n- assert: {that: ['r.stdout == "from the role"']}\n- command: sleep 30\n`,
    );
    const r = await pd.play(`
- hosts: nodes
  roles:
    - {role: envrole, environment: {FAB_ROLE: from the role}, timeout: 3}
`);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(recap(r.stdout).n1).toMatchObject({ ok: 2, failed: 1 });
    expect(r.stdout).toContain('did not finish within its timeout of 3 s');
  });

  it('does not leak into later tasks of the same connection', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - command: env
      environment: {FAB_ONCE: here}
      changed_when: false
    - shell: 'echo "[$FAB_ONCE]"'
      register: after
      changed_when: false
    - assert: {that: ['after.stdout == "[]"']}
`);
    expect(r.code, r.stdout).toBe(0);
  });

  it('a name the shell cannot take, a list value, or an undefined variable: exit 5, no host touched', async () => {
    const bad = await pd.play(`
- hosts: nodes
  tasks:
    - command: 'true'
      environment: {"BAD-NAME": x}
`);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/pb\.yml:5.*environment/);
    const list = await pd.play(`
- hosts: nodes
  tasks:
    - command: 'true'
      environment: {OK: [1, 2]}
`);
    expect(list.code).toBe(5);
    expect(list.stderr).toMatch(/pb\.yml:5.*environment/);
    const undef = await pd.play(`
- hosts: nodes
  tasks:
    - command: 'true'
      environment: {OK: "{{ nowhere_defined }}"}
`);
    expect(undef.code).toBe(5);
    expect(undef.stderr).toContain('nowhere_defined');
    expect(undef.stderr).toMatch(/pb\.yml:4.*in task 'command'/);
    for (const x of [bad, list, undef]) expect(x.stdout).not.toContain('TASK [');
  });
});

describe('timeout', () => {
  it('a task past its timeout fails on that host and is stopped there; other hosts go on', async () => {
    const started = Date.now();
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - name: slow on n1
      shell: "if [ {{ inventory_hostname }} = n1 ]; then sleep 30; fi; echo done"
      timeout: 3
    - name: after
      command: 'true'
`);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('did not finish within its timeout of 3 s');
    const rec = recap(r.stdout);
    expect(rec.n1).toMatchObject({ failed: 1 });
    expect(rec.n2).toMatchObject({ failed: 0, changed: 2 });
  });

  it('--task-timeout applies to every task; a task timeout wins over it', async () => {
    const r = await pd.play(
      `
- hosts: nodes
  tasks:
    - name: allowed longer
      command: sleep 2
      timeout: 10
    - name: too slow
      command: sleep 30
`,
      ['--task-timeout', '1'],
    );
    expect(r.code).toBe(2);
    expect(recap(r.stdout).n1).toMatchObject({ changed: 1, failed: 1 });
    expect(r.stdout).toContain('did not finish within its timeout of 1 s');
  });

  it('bad values are refused before any host is touched', async () => {
    const zero = await pd.play(`
- hosts: nodes
  tasks:
    - command: 'true'
      timeout: 0
`);
    expect(zero.code).toBe(5);
    expect(zero.stderr).toMatch(/pb\.yml:5.*timeout/);
    const flag = await pd.play(`
- hosts: nodes
  tasks:
    - command: 'true'
`, ['--task-timeout', 'soon']);
    expect(flag.code).toBe(5);
    expect(flag.stderr).toContain('--task-timeout');
  });
});
