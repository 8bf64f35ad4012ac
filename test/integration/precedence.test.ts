import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runFabric } from '../support/fabric.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-prec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

it('variable precedence, low to high: role defaults < all < parent group < child group < host < play < role vars < task < set_fact < -e', async () => {
  // Each variable is defined at two adjacent layers; the higher one must win.
  write('roles/r/defaults/main.yml', 'a: defaults\nj: defaults\n');
  write('roles/r/vars/main.yml', 'f: rolevars\ng: rolevars\n');
  write(
    'roles/r/tasks/main.yml',
    `- set_fact: {h: fact, i: fact}
- copy:
    dest: "{{ out }}"
    content: "a={{a}} b={{b}} c={{c}} d={{d}} e={{e}} f={{f}} g={{g}} h={{h}} i={{i}} j={{j}}\\n"
  vars: {g: task, h: task}
`,
  );
  write(
    'inventory.yml',
    `all:
  vars: {a: all, b: all}
  children:
    parent:
      vars: {b: parent, c: parent}
      children:
        child:
          vars: {c: child, d: child}
          hosts:
            ctl: {fabric_connection: local, d: host, e: host}
`,
  );
  write('site.yml', `- hosts: ctl\n  vars: {e: play, f: play}\n  roles: [r]\n`);
  const out = join(dir, 'out.txt');
  const run = await runFabric(['play', 'site.yml', '-i', 'inventory.yml', '-e', `out=${out} i=extra`], { cwd: dir });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(readFileSync(out, 'utf8')).toBe('a=all b=parent c=child d=host e=play f=rolevars g=task h=fact i=extra j=defaults\n');
});

it('templated variables render lazily, per loop item: an unused broken one never fails, one using {{ item }} sees the item', async () => {
  write('lazy.yml', `- hosts: ctl
  vars:
    broken: "{{ no_such_variable }}"
    label: "L{{ item }}"
  tasks:
    - copy: {dest: "{{ out }}-{{ item }}", content: "{{ item }}={{ label }}"}
      loop: [a, b]
`);
  const out = join(dir, 'lazy');
  const run = await runFabric(['play', 'lazy.yml', '-i', 'inventory.yml', '-e', `out=${out}`], { cwd: dir });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(readFileSync(`${out}-a`, 'utf8')).toBe('a=La');
  expect(readFileSync(`${out}-b`, 'utf8')).toBe('b=Lb');
});
