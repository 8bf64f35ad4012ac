import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// until/retries/delay over the real test sshd. A counter file on the host says how many times a
// task really ran there.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

/** A command that counts its runs on the host and prints the count. */
const count = `shell: "n=$(cat {{ base }}/{{ inventory_hostname }}.count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {{ base }}/{{ inventory_hostname }}.count; echo $n"`;
const runs = (h: string) => Number(readFileSync(join(pd.base, `${h}.count`), 'utf8'));

describe('until, retries, delay', () => {
  it('until: runs again until the condition holds; the result has the attempts; retries are reported', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - name: count to three
      ${count}
      register: c
      until: c.stdout == '3'
      retries: 5
      delay: 0
      changed_when: false
    - assert: {that: ["c.attempts == 3", "c.stdout == '3'"]}
`);
    expect(r.code, r.stdout).toBe(0);
    for (const h of ['n1', 'n2']) expect(runs(h), h).toBe(3);
    expect(r.stdout).toContain('FAILED - RETRYING: [n1]: count to three (5 retries left).');
    expect(r.stdout).toContain('FAILED - RETRYING: [n1]: count to three (4 retries left).');
    expect(recap(r.stdout).n1).toMatchObject({ ok: 2, failed: 0 });
  });

  it('until never true: retries + 1 attempts, then failed with the attempts in the message; until alone tries 3 times', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - name: never
      ${count}
      register: c
      until: c.stdout == 'never'
      retries: 2
      delay: 0
`);
    expect(r.code).toBe(2);
    for (const h of ['n1', 'n2']) expect(runs(h), h).toBe(3);
    expect(r.stdout).toContain('until condition still false after 3 attempts');
    pd.reset();
    const alone = await pd.play(`
- hosts: n1
  tasks:
    - ${count}
      register: c
      until: c.stdout == 'never'
      delay: 0
`);
    expect(alone.code).toBe(2);
    expect(runs('n1')).toBe(3);
  });

  it('retries alone retries a failing task until it succeeds', async () => {
    const r = await pd.play(`
- hosts: n1
  tasks:
    - name: fails once
      shell: "n=$(cat {{ base }}/n1.count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {{ base }}/n1.count; test $n -ge 2"
      retries: 3
      delay: 0
`);
    expect(r.code, r.stdout).toBe(0);
    expect(runs('n1')).toBe(2);
  });

  it('each attempt reads the host afresh: a stat waiting for a file another process creates sees it appear', async () => {
    const f = join(pd.base, 'appears');
    const r = await pd.play(`
- hosts: n1
  tasks:
    - name: something makes the file a little later
      shell: "nohup sh -c 'sleep 0.5; touch ${f}' >/dev/null 2>&1 &"
    - name: wait for it
      stat: {path: "${f}"}
      register: st
      until: st.stat.exists
      retries: 20
      delay: 0.1
`);
    expect(r.code, r.stdout).toBe(0);
    expect(existsSync(f)).toBe(true);
    expect(r.stdout).toContain('FAILED - RETRYING: [n1]: wait for it');
  });

  it.each([
    ['a block', '    - block:\n        - debug: {msg: x}\n      until: x is defined\n', /until.*block|block.*until/],
    ['delay without until or retries', '    - debug: {msg: x}\n      delay: 1\n', /'delay' needs 'until' or 'retries'/],
    ['negative retries', '    - debug: {msg: x}\n      until: true\n      retries: -1\n', /retries/],
  ])('%s is refused before any host is touched (exit 5, with the line)', async (_what, task, message) => {
    const r = await pd.play(`- hosts: n1\n  tasks:\n${task}`);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/pb\.yml:\d+/);
  });
});
