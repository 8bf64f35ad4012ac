import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// Ansible's expressions inside {{ }}, end to end: `check` accepts what `play` then does on real
// hosts, and refuses (exit 5, nothing touched) what cannot work.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2'], { greeting: 'hello' });
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const check = (text: string) => {
  writeFileSync(join(pd.dir, 'pb.yml'), text);
  return runFabric(['check', join(pd.dir, 'pb.yml'), '-i', pd.inv]);
};

describe('expressions in {{ }}', () => {
  it("the issue's examples: filters, subscripts and hostvars in content, names and loops", async () => {
    const text = `
- hosts: nodes
  tasks:
    - name: "write {{ inventory_hostname | upper }}"
      copy:
        dest: "{{ base }}/{{ inventory_hostname }}.txt"
        content: "{{ groups['nodes'] | length }} nodes, {{ greeting | upper }}, first at {{ hostvars[groups.nodes[0]].fabric_host }}, {{ 'even' if (inventory_hostname[-1] | int) is even else 'odd' }}\\n"
    - name: a loop from an expression keeps its type
      lineinfile:
        path: "{{ base }}/{{ inventory_hostname }}.txt"
        line: "item {{ item * 10 }} of {{ range(3) | list | length }}"
      loop: "{{ range(1, 3) | list }}"
`;
    expect((await check(text)).code).toBe(0);
    const r = await pd.play(text);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('TASK [write N1]');
    expect(readFileSync(join(pd.base, 'n1.txt'), 'utf8')).toBe('2 nodes, HELLO, first at 127.0.0.1, odd\nitem 10 of 3\nitem 20 of 3\n');
    expect(readFileSync(join(pd.base, 'n2.txt'), 'utf8')).toBe('2 nodes, HELLO, first at 127.0.0.1, even\nitem 10 of 3\nitem 20 of 3\n');
  });

  it('template files: expressions inside Handlebars blocks see the item and the play', async () => {
    writeFileSync(join(pd.dir, 'hosts.j2'), "{{#each groups.nodes}}{{ this }} {{ hostvars[this].fabric_port | string | length > 0 }} {{ greeting ~ '!' }}\n{{/each}}");
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - template: {src: hosts.j2, dest: "{{ base }}/{{ inventory_hostname }}.hosts"}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(pd.base, 'n1.hosts'), 'utf8')).toBe('n1 True hello!\nn2 True hello!\n');
  });

  it('an undefined name, an unknown filter, a Jinja statement: exit 5 with file:line, no host touched', async () => {
    const undef = await check(`
- hosts: nodes
  tasks:
    - debug: {msg: "{{ greting | upper }}"}
`);
    expect(undef.code).toBe(5);
    expect(undef.stderr).toContain("undefined variable 'greting'");
    expect(undef.stderr).toContain("did you mean 'greeting'?");
    const filter = await check(`
- hosts: nodes
  tasks:
    - debug: {msg: "{{ greeting | uper }}"}
`);
    expect(filter.code).toBe(5);
    expect(filter.stderr).toMatch(/pb\.yml:4:\d+: expression 'greeting \| uper': unknown filter 'uper'/);
    expect(filter.stderr).toContain("did you mean 'upper'?");
    const stmt = await pd.play(`
- hosts: nodes
  tasks:
    - copy:
        dest: "{{ base }}/x"
        content: "{% for h in groups.nodes %}{{ h }}{% endfor %}"
`);
    expect(stmt.code).toBe(5);
    expect(stmt.stderr).toContain('Jinja statements ({% for %}) are not supported');
    expect(stmt.stderr).toContain('{{#each list}}');
    expect(stmt.stdout).not.toContain('TASK [');
  });

  it('text that merely contains {% (awk, printf) is left alone', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - shell: "printf '{%s}' {{ greeting }}"
      register: out
      changed_when: false
    - assert: {that: ["out.stdout == '{hello}'"]}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
