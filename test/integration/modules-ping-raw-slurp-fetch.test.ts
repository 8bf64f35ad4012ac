import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// ping, raw, slurp and fetch against the real test sshd (the "host" side lives in base/).
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
});
beforeEach(() => {
  pd.reset();
  writeFileSync(join(pd.base, 'admin.conf'), 'apiVersion: v1\nkind: Config\n');
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

describe('ping and raw', () => {
  it('ping answers pong (or the data given) from the host; data: crash fails', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - ping:
      register: p
    - ping: {data: hello}
      register: h
    - assert: {that: ["p.ping == 'pong'", "h.ping == 'hello'"]}
    - ping: {data: crash}
      ignore_errors: true
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(recap(r.stdout).n1).toMatchObject({ ok: 4, ignored: 1 });
  });

  it('raw runs the text through the shell, reports changed, fails on a non-zero exit; skipped in check mode', async () => {
    const play = `
- hosts: nodes
  tasks:
    - raw: echo hi && echo there
      register: out
    - assert: {that: ["out.stdout_lines == ['hi', 'there']", "out.rc == 0"]}
    - raw: exit 3
`;
    const r = await pd.play(play);
    expect(r.code).toBe(2);
    expect(recap(r.stdout).n1).toMatchObject({ changed: 1, failed: 1 });
    expect(r.stdout).toContain('non-zero return code 3');
    const c = await pd.play('- hosts: nodes\n  tasks:\n    - raw: "touch {{ base }}/touched"\n', ['--check']);
    expect(recap(c.stdout).n1, c.stdout + c.stderr).toMatchObject({ skipped: 1, changed: 0 });
    expect(existsSync(join(pd.base, 'touched'))).toBe(false);
  });
});

describe('setup', () => {
  it('reads the facts as a task (gather_facts: false), for the tasks after it; filter keeps what its globs match', async () => {
    const r = await pd.play(`
- hosts: nodes
  gather_facts: false
  tasks:
    - setup:
    - assert: {that: ["facts.kernel is defined", "facts.os_family in ['Debian', 'RedHat', 'Darwin']"]}
    - setup: {filter: 'kern*'}
      register: some
    - assert: {that: ["some.ansible_facts | list == ['kernel']", "facts | list == ['kernel']"]}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('slurp and fetch', () => {
  it("slurp registers the file's content as base64", async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - slurp: {src: "{{ base }}/admin.conf"}
      register: s
    - assert: {that: ["s.encoding == 'base64'", "(s.content | b64decode) == 'apiVersion: v1\\\\nkind: Config\\\\n'"]}
    - slurp: {src: "{{ base }}/nope"}
`);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain('file not found');
  });

  it('fetch lays files out as Ansible (dest/host/path, or flat), relative to the playbook; a rerun is ok; check writes nothing', async () => {
    const play = `
- hosts: nodes
  tasks:
    - fetch: {src: "{{ base }}/admin.conf", dest: fetched}
    - fetch: {src: "{{ base }}/admin.conf", dest: "flat/{{ inventory_hostname }}.conf", flat: true}
    - fetch: {src: "{{ base }}/missing", dest: fetched, fail_on_missing: false}
`;
    const c = await pd.play(play, ['--check']);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(existsSync(join(pd.dir, 'fetched'))).toBe(false);
    const r = await pd.play(play);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const nested = join(pd.dir, 'fetched', 'n1', pd.base.replace(/^\//, ''), 'admin.conf');
    expect(readFileSync(nested, 'utf8')).toBe('apiVersion: v1\nkind: Config\n');
    expect(statSync(nested).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(pd.dir, 'flat', 'n2.conf'), 'utf8')).toBe('apiVersion: v1\nkind: Config\n');
    expect(recap(r.stdout).n1).toMatchObject({ changed: 2, failed: 0 });
    const again = await pd.play(play);
    expect(recap(again.stdout).n1).toMatchObject({ changed: 0, failed: 0 });
    const missing = await pd.play(`
- hosts: nodes
  tasks:
    - fetch: {src: "{{ base }}/missing", dest: fetched}
`);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('file not found');
  });
});

describe('script', () => {
  it("runs a files/ script on the host with its arguments (quoted, not re-parsed); creates guards it; check skips it; the temp copy is gone", async () => {
    mkdirSync(join(pd.dir, 'files'), { recursive: true });
    writeFileSync(join(pd.dir, 'files', 'hello.sh'), '#!/bin/sh\nprintf "%s|" "$@" > "$base_out"\necho "ran as $(basename "$0")"\n');
    writeFileSync(join(pd.dir, 'files', 'fail.sh'), '#!/bin/sh\necho broken >&2\nexit 3\n');
    const play = `
- hosts: n1
  tasks:
    - script: hello.sh one "two words" '$HOME'
      environment: {base_out: "{{ base }}/out"}
      args: {creates: "{{ base }}/done"}
      register: s
    - assert: {that: ["s.changed", "s.rc == 0", "s.stdout.startswith('ran as .fabric-script-')"]}
    - script: {cmd: fail.sh, executable: /bin/sh}
      ignore_errors: true
      register: f
    - assert: {that: ["f.rc == 3", "f.stderr == 'broken'"]}
    - shell: "ls /tmp/.fabric-script-* 2>/dev/null | wc -l"
      register: left
    - assert: {that: ["left.stdout == '0'"]}
`;
    const r = await pd.play(play);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(pd.base, 'out'), 'utf8')).toBe('one|two words|$HOME|');
    writeFileSync(join(pd.base, 'done'), '');
    rmSync(join(pd.base, 'out'));
    const again = await pd.play(`
- hosts: n1
  tasks:
    - script: hello.sh one
      args: {creates: "{{ base }}/done"}
`);
    expect(again.code, again.stdout).toBe(0);
    expect(recap(again.stdout).n1).toMatchObject({ ok: 1, changed: 0 });
    expect(existsSync(join(pd.base, 'out'))).toBe(false);
    const check = await pd.play('- hosts: n1\n  tasks:\n    - script: hello.sh x\n', ['--check']);
    expect(check.code).toBe(0);
    expect(recap(check.stdout).n1).toMatchObject({ skipped: 1, changed: 0 });
    const missing = await pd.play('- hosts: n1\n  tasks:\n    - script: nothere.sh\n');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/pb\.yml:3:.*file 'nothere.sh' not found/);
  });
});
