// Host data is data: what a host printed, what a file on it holds and what set_fact made of them
// reach templates as text and are never rendered again, so a compromised host cannot make the
// controller write its variables (or another host's) anywhere. Template syntax of both kinds —
// expressions and Handlebars blocks, helpers, partials — comes back byte for byte.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

const SECRET = 'controller-only-7f3a';
// What a hostile host prints: every template form fabric knows.
const HOSTILE = [
  '{{ secret_token }}',
  '{{secret_token}}',
  '{{ hostvars["n2"].secret_token }}',
  '{{#each hostvars}}{{@key}}={{this.secret_token}};{{/each}}',
  '{{hostvar "n2" "secret_token"}}',
  '{{ secret_token | upper }}',
  '{{{{raw}}}}{{ secret_token }}{{{{/raw}}}}',
  '{{> partial}}',
  '{{',
];
const HOSTILE_TEXT = HOSTILE.join('\n');

let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2'], { secret_token: SECRET });
  mkdirSync(join(pd.dir, 'templates'));
  writeFileSync(join(pd.dir, 'templates', 'page.j2'), 'fact={{ derived }}\nline={{ lines[1] }}\n');
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const read = (name: string) => readFileSync(join(pd.base, name), 'utf8');

describe('host data is never a template', () => {
  it('registered output, set_fact, loop items, slurped content, hostvars and template files keep host text verbatim', async () => {
    writeFileSync(join(pd.base, 'hostile.txt'), HOSTILE_TEXT);
    const r = await pd.play(
      `
- hosts: nodes
  gather_facts: false
  tasks:
    - command: {argv: [cat, "{{ base }}/hostile.txt"]}
      register: out
      changed_when: false
    - set_fact:
        derived: "{{ out.stdout }}"
        lines: "{{ out.stdout_lines }}"
        nested: {inner: "prefix {{ out.stdout_lines[0] }}"}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.copy", content: "{{ out.stdout }}"}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.fact", content: "{{ derived }}"}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.nested", content: "{{ nested.inner }}"}
    - lineinfile: {path: "{{ base }}/{{ inventory_hostname }}.lines", line: "{{ item }}", create: true}
      loop: "{{ lines }}"
    - template: {src: page.j2, dest: "{{ base }}/{{ inventory_hostname }}.tpl"}
    - shell: "printf '%s' {{ derived | quote }} > {{ base }}/{{ inventory_hostname }}.shell"
    - slurp: {src: "{{ base }}/hostile.txt"}
      register: slurped
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.slurp", content: "{{ slurped.content | b64decode }}"}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.other", content: "{{ hostvars[(inventory_hostname == 'n1') | ternary('n2', 'n1')].derived }}"}
    - debug: {msg: "{{ derived }}"}
    - assert: {that: ["derived == out.stdout", "'secret_token' in derived"]}
`,
      ['-e', 'unused=1'],
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of ['n1', 'n2']) {
      expect(read(`${h}.copy`)).toBe(HOSTILE_TEXT);
      expect(read(`${h}.fact`)).toBe(HOSTILE_TEXT);
      expect(read(`${h}.nested`)).toBe(`prefix ${HOSTILE[0]}`);
      expect(read(`${h}.lines`)).toBe(HOSTILE.join('\n') + '\n');
      expect(read(`${h}.tpl`)).toBe(`fact=${HOSTILE_TEXT}\nline=${HOSTILE[1]}\n`);
      expect(read(`${h}.shell`)).toBe(HOSTILE_TEXT);
      expect(read(`${h}.slurp`)).toBe(HOSTILE_TEXT);
      expect(read(`${h}.other`)).toBe(HOSTILE_TEXT);
    }
    // debug prints the host's text as it is; the controller's value never appears.
    expect(r.stdout).toContain('{{#each hostvars}}');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(SECRET.toUpperCase());
  });

  it('include_vars files are the operator\'s: their templates still render on read', async () => {
    writeFileSync(join(pd.dir, 'extra.yml'), 'greeting: "hello {{ inventory_hostname }}"\n');
    const r = await pd.play(`
- hosts: n1
  gather_facts: false
  tasks:
    - include_vars: extra.yml
    - copy: {dest: "{{ base }}/greeting", content: "{{ greeting }}"}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(read('greeting')).toBe('hello n1');
  });
});
