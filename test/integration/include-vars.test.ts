import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// include_vars: files read on the controller, their variables set on each host; checked before
// the run when the file name is known.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
  const vars = join(pd.dir, 'vars');
  mkdirSync(join(vars, 'conf.d', 'deeper'), { recursive: true });
  writeFileSync(join(vars, 'app.yml'), 'app_port: 8080\napp_name: "demo-{{ inventory_hostname }}"\n');
  writeFileSync(join(vars, 'conf.d', '10-a.yml'), 'level: a\nonly_a: 1\n');
  writeFileSync(join(vars, 'conf.d', '20-b.yaml'), 'level: b\n');
  writeFileSync(join(vars, 'conf.d', 'notes.txt'), 'not vars\n');
  writeFileSync(join(vars, 'conf.d', 'deeper', '30-c.json'), '{"deep": true}\n');
  writeFileSync(join(vars, 'n1.yml'), 'colour: red\n');
  writeFileSync(join(vars, 'n2.yml'), 'colour: blue\n');
  writeFileSync(join(vars, 'broken.yml'), 'a: 1\n  b: [\n');
  mkdirSync(join(pd.dir, 'roles', 'withvars', 'tasks'), { recursive: true });
  mkdirSync(join(pd.dir, 'roles', 'withvars', 'vars'), { recursive: true });
  writeFileSync(join(pd.dir, 'roles', 'withvars', 'vars', 'extra.yml'), 'role_thing: from-role\n');
  writeFileSync(join(pd.dir, 'roles', 'withvars', 'tasks', 'main.yml'), '- include_vars: extra.yml\n- copy: {dest: "{{ base }}/{{ inventory_hostname }}.role", content: "{{ role_thing }}"}\n');
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const out = (h: string, ext: string) => readFileSync(join(pd.base, `${h}.${ext}`), 'utf8');
const check = (text: string) => {
  writeFileSync(join(pd.dir, 'pb.yml'), text);
  return runFabric(['check', join(pd.dir, 'pb.yml'), '-i', pd.inv]);
};

describe('include_vars', () => {
  it('a file, a file under a name, a directory: the variables reach later tasks (templated values too)', async () => {
    const text = `
- hosts: nodes
  tasks:
    - include_vars: app.yml
    - include_vars: {file: app.yml, name: app}
    - include_vars: {dir: conf.d, depth: 1}
    - copy:
        dest: "{{ base }}/{{ inventory_hostname }}.txt"
        content: "{{ app_port }} {{ app_name }} {{ app.app_port }} {{ level }} {{ only_a }} {{ deep | default('not read') }}"
    - include_vars: {dir: conf.d}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.deep", content: "{{ deep }}"}
  roles: [withvars]
`;
    expect((await check(text)).code).toBe(0);
    const r = await pd.play(text);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(out('n1', 'txt')).toBe('8080 demo-n1 8080 b 1 not read');
    expect(out('n2', 'deep')).toBe('True');
    expect(out('n2', 'role')).toBe('from-role');
  });

  it('a templated file name is read per host at run time', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - include_vars: "{{ inventory_hostname }}.yml"
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.txt", content: "{{ colour }}"}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(out('n1', 'txt')).toBe('red');
    expect(out('n2', 'txt')).toBe('blue');
  });

  it('a missing file, a broken one, two sources, or a name read but never defined: exit 5 before any host', async () => {
    const missing = await check('- hosts: nodes\n  tasks:\n    - include_vars: nope.yml\n');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/pb\.yml:3:\d+: vars file 'nope\.yml' not found/);
    const broken = await check('- hosts: nodes\n  tasks:\n    - include_vars: broken.yml\n');
    expect(broken.code).toBe(5);
    expect(broken.stderr).toMatch(/broken\.yml:\d+/);
    const both = await check('- hosts: nodes\n  tasks:\n    - include_vars: {file: app.yml, dir: conf.d}\n');
    expect(both.code).toBe(5);
    expect(both.stderr).toContain('exactly one of');
    const undef = await check('- hosts: nodes\n  tasks:\n    - include_vars: app.yml\n    - debug: {msg: "{{ app_prot }}"}\n');
    expect(undef.code).toBe(5);
    expect(undef.stderr).toContain("undefined variable 'app_prot'");
    expect(undef.stderr).toContain("did you mean 'app_port'?");
  });
});
