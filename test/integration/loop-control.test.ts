import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// loop_control over the real test sshd: what the host was given is read back from the files it wrote.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1']);
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

describe('loop_control', () => {
  it('index_var, extended (ansible_loop), loop_var and label: the host gets them, the output shows the label', async () => {
    const r = await pd.play(`
- hosts: n1
  tasks:
    - name: one line per item
      lineinfile:
        path: "{{ base }}/items"
        create: true
        line: "{{ idx }} {{ node.name }} {{ ansible_loop.index }}/{{ ansible_loop.length }} first={{ ansible_loop.first }} last={{ ansible_loop.last }} var={{ ansible_loop_var }}"
      loop: [{name: cp1, ip: 10.0.0.1}, {name: w1, ip: 10.0.0.2}, {name: w2, ip: 10.0.0.3}]
      loop_control: {loop_var: node, index_var: idx, extended: true, label: "{{ node.name }}"}
`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(pd.base, 'items'), 'utf8')).toBe(
      '0 cp1 1/3 first=True last=False var=node\n1 w1 2/3 first=False last=False var=node\n2 w2 3/3 first=False last=True var=node\n',
    );
    expect(r.stdout).toContain('changed: [n1] => (item=cp1)');
    expect(r.stdout).not.toContain('10.0.0.1');
  });

  it('pause waits between items, not before the first or after the last', async () => {
    const r = await pd.play(`
- hosts: n1
  tasks:
    - shell: "date +%s.%N >> {{ base }}/times"
      loop: [a, b, c]
      loop_control: {pause: 0.3}
`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const t = readFileSync(join(pd.base, 'times'), 'utf8').trim().split('\n').map(Number);
    expect(t).toHaveLength(3);
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(0.3);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(0.3);
  });

  it('an include_tasks loop takes index_var too', async () => {
    writeFileSync(join(pd.dir, 'inc.yml'), '- shell: "echo {{ i }}={{ part }} >> {{ base }}/inc"\n');
    const r = await pd.play(`
- hosts: n1
  tasks:
    - include_tasks: inc.yml
      loop: [x, y]
      loop_control: {loop_var: part, index_var: i}
`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(pd.base, 'inc'), 'utf8')).toBe('0=x\n1=y\n');
  });

  it.each([
    ['label on an include loop', '    - include_tasks: inc.yml\n      loop: [x]\n      loop_control: {label: "{{ item }}"}\n', /label has no effect on an include loop/],
    ['index_var equal to loop_var', '    - debug: {msg: x}\n      loop: [1]\n      loop_control: {index_var: item}\n', /index_var and loop_var are both 'item'/],
    ['an unknown loop_control key', '    - debug: {msg: x}\n      loop: [1]\n      loop_control: {index: i}\n', /index_var/],
    ['an undefined name in the label', '    - debug: {msg: x}\n      loop: [1]\n      loop_control: {label: "{{ nope }}"}\n', /undefined variable 'nope'/],
  ])('%s is refused before any host is touched', async (_what, task, message) => {
    const r = await pd.play(`- hosts: n1\n  tasks:\n${task}`);
    expect(r.code, r.stdout).toBe(5);
    expect(r.stderr).toMatch(message);
  });
});
