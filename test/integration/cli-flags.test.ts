import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd, type TestSshd } from '../support/sshd.js';

// ansible-playbook's everyday flags, over the real test sshd.
let pd: PlayDir;
let sshd: TestSshd;
beforeAll(async () => {
  sshd = await testSshd();
  pd = playDir(sshd, ['n1', 'n2']);
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const mark = (what: string) => `shell: "echo ${what} >> {{ base }}/{{ inventory_hostname }}.log"`;
const log = (h: string) => (existsSync(join(pd.base, `${h}.log`)) ? readFileSync(join(pd.base, `${h}.log`), 'utf8').trim().split('\n') : []);
const three = `
- hosts: nodes
  tasks:
    - name: first
      ${mark('first')}
    - name: second
      ${mark('second')}
    - block:
        - name: third
          ${mark('third')}
`;

describe('connection and become flags', () => {
  it('-u and --private-key fill in what the inventory leaves out; the inventory wins where it says', async () => {
    const inv = join(pd.dir, 'bare.yml');
    writeFileSync(inv, `all:\n  vars: {fabric_host: 127.0.0.1, fabric_port: ${sshd.port}, fabric_known_hosts: ${sshd.knownHostsFile}, base: ${pd.base}}\n  hosts: {n1: {}}\n`);
    const pb = join(pd.dir, 'who.yml');
    writeFileSync(pb, '- hosts: all\n  tasks:\n    - command: whoami\n      register: w\n      changed_when: false\n    - assert: {that: ["w.stdout == \'root\'"]}\n');
    const ok = await runFabric(['play', pb, '-i', inv, '-u', 'root', '--private-key', sshd.keyFile]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const wins = await runFabric(['play', pb, '-i', pd.inv, '-l', 'n1', '-u', 'nobody-at-all']);
    expect(wins.code, wins.stdout + wins.stderr).toBe(0); // fabric_user: root in the inventory beats -u
  });

  it('-b with --become-user runs tasks as that user; a play saying become: false wins', async () => {
    const r = await pd.play(
      `
- hosts: nodes
  tasks:
    - command: whoami
      register: w
      changed_when: false
    - assert: {that: ["w.stdout == 'nobody'"]}
- hosts: nodes
  become: false
  tasks:
    - command: whoami
      register: w2
      changed_when: false
    - assert: {that: ["w2.stdout == 'root'"]}
`,
      ['-b', '--become-user', 'nobody'],
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('--become-password-file that cannot be read, or together with -K: exit 5', async () => {
    const missing = await pd.play(three, ['--become-password-file', join(pd.dir, 'nope')]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain("--become-password-file");
    writeFileSync(join(pd.dir, 'pw'), 'secret\n');
    const both = await pd.play(three, ['--become-password-file', join(pd.dir, 'pw'), '-K']);
    expect(both.code).toBe(5);
    expect(log('n1')).toEqual([]);
  });
});

describe('--start-at-task, --step', () => {
  it('--start-at-task starts at that task, inside a block too; an unknown name is exit 5 with a guess', async () => {
    const r = await pd.play(three, ['--start-at-task', 'second']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['second', 'third']);
    pd.reset();
    const inBlock = await pd.play(three, ['--start-at-task', 'third']);
    expect(inBlock.code).toBe(0);
    expect(log('n2')).toEqual(['third']);
    const unknown = await pd.play(three, ['--start-at-task', 'secnd']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain("no task is named 'secnd'");
    expect(unknown.stderr).toContain("did you mean 'second'?");
    const listed = await pd.play(three, ['--start-at-task', 'second', '--list-tasks']);
    expect(listed.stdout).not.toContain('first');
    expect(listed.stdout).toContain('second');
  });

  it('--step asks before each task: n skips it, y runs it, c runs the rest without asking', async () => {
    const pb = join(pd.dir, 'pb.yml');
    writeFileSync(pb, three);
    const r = await runFabric(['play', pb, '-i', pd.inv, '--step'], { input: 'n\ny\nc\n' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['second', 'third']);
    expect(r.stderr).toContain('Perform task: TASK: first (N)o/(y)es/(c)ontinue:');
    expect(r.stdout).not.toContain('TASK [first]');
    pd.reset();
    const closed = await runFabric(['play', pb, '-i', pd.inv, '--step'], { input: 'y\n' });
    expect(closed.code).toBe(0);
    expect(log('n1')).toEqual(['first']); // no more answers: the rest is declined
  });
});

describe('--retry-file and -l @file', () => {
  it('writes the failed hosts to <playbook>.retry; -l @file runs only them', async () => {
    const pb = join(pd.dir, 'pb.yml');
    const retry = join(pd.dir, 'pb.retry');
    rmSync(retry, { force: true });
    writeFileSync(pb, `- hosts: nodes\n  tasks:\n    - ${mark('ran')}\n    - command: "false"\n      when: inventory_hostname == 'n2' and not (fixed | default(false) | bool)\n`);
    const r = await runFabric(['play', pb, '-i', pd.inv, '--retry-file']);
    expect(r.code).toBe(2);
    expect(readFileSync(retry, 'utf8')).toBe('n2\n');
    expect(r.stderr).toContain(`to retry, use: --limit @${retry}`);
    pd.reset();
    const again = await runFabric(['play', pb, '-i', pd.inv, '-l', `@${retry}`, '-e', 'fixed=true']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(Object.keys(recap(again.stdout))).toEqual(['n2']);
    expect(log('n1')).toEqual([]);
    const none = await runFabric(['play', pb, '-i', pd.inv, '-l', `@${join(pd.dir, 'no.retry')}`]);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('--limit file');
  });

  it('without --retry-file nothing is written (off by default, as in Ansible)', async () => {
    const pb = join(pd.dir, 'quiet.yml');
    writeFileSync(pb, `- hosts: nodes\n  tasks:\n    - command: "false"\n`);
    const r = await runFabric(['play', pb, '-i', pd.inv]);
    expect(r.code).toBe(2);
    expect(existsSync(join(pd.dir, 'quiet.retry'))).toBe(false);
  });
});

describe('hosts: as a template', () => {
  it('is rendered with -e, play vars and groups before any host is chosen; an undefined one is refused', async () => {
    const pb = join(pd.dir, 'target.yml');
    writeFileSync(pb, `- hosts: "{{ target }}"\n  vars: {first: "{{ groups['nodes'][0] }}"}\n  tasks:\n    - ${mark('one')}\n- hosts: "{{ first }}"\n  vars: {first: "{{ groups['nodes'][0] }}"}\n  tasks:\n    - ${mark('two')}\n`);
    const r = await runFabric(['play', pb, '-i', pd.inv, '-e', 'target=n2']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['two']);
    expect(log('n2')).toEqual(['one']);
    pd.reset();
    const missing = await runFabric(['play', pb, '-i', pd.inv]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/target\.yml:1:\d+/);
    expect(missing.stderr).toContain('target');
    expect(log('n1')).toEqual([]);
  });
});
