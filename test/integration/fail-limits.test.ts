import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd, type TestSshd } from '../support/sshd.js';

// serial, max_fail_percentage and any_errors_fatal over the real test sshd: five inventory hosts,
// each leaving a file per task it really ran, so "did not run" is read off the disk.
let sshd: TestSshd;
let pd: PlayDir;
const HOSTS = ['n1', 'n2', 'n3', 'n4', 'n5'];

beforeAll(async () => {
  sshd = await testSshd();
  pd = playDir(sshd, HOSTS, { fail_on: 'none' });
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

/** A task that records that it ran on the host, failing where `fail_on` names the host. */
const step = (name: string, extra = '') => `
    - name: ${name}
      shell: "touch {{ base }}/{{ inventory_hostname }}-${name} && test {{ inventory_hostname }} != {{ fail_on }}"${extra}`;
const ran = (host: string, name: string) => existsSync(join(pd.base, `${host}-${name}`));
const play = (text: string, args: string[] = []) => pd.play(text, args);

describe('serial batches', () => {
  it('serial: 1 stops the rolling run when a batch fails whole: no later batch, no later play, exit 2', async () => {
    const r = await play(`
- hosts: nodes
  serial: 1
  vars: {fail_on: n2}
  tasks:${step('upgrade')}${step('uncordon')}
- hosts: nodes
  tasks:${step('later')}
`);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(2);
    expect(ran('n1', 'upgrade') && ran('n1', 'uncordon') && ran('n2', 'upgrade')).toBe(true);
    expect(ran('n2', 'uncordon')).toBe(false);
    for (const h of ['n3', 'n4', 'n5']) expect(ran(h, 'upgrade'), h).toBe(false);
    for (const h of HOSTS) expect(ran(h, 'later'), h).toBe(false);
    expect(r.stdout).toMatch(/NO MORE HOSTS LEFT \*+\nstopped: every host of the batch failed \(n2\)/);
    expect(recap(r.stdout).n2).toMatchObject({ failed: 1 });
  });

  it("serial as a list: [1, '50%'] makes batches of 1, then 2 (half of 5), the last size repeating", async () => {
    const r = await play(`
- hosts: nodes
  serial: [1, "50%"]
  tasks:${step('t')}
`, ['--json']);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(r.stdout) as { plays: { hosts: string[] }[] };
    expect(report.plays.map((p) => p.hosts)).toEqual([['n1'], ['n2', 'n3'], ['n4', 'n5']]);
  });

  it('a batch with one host left goes on when another of its hosts failed', async () => {
    const r = await play(`
- hosts: nodes
  serial: 2
  vars: {fail_on: n1}
  tasks:${step('t')}
`);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(2);
    for (const h of HOSTS) expect(ran(h, 't'), h).toBe(true);
  });
});

describe('max_fail_percentage and any_errors_fatal', () => {
  it('max_fail_percentage: exactly the limit goes on, over it stops every host after that task', async () => {
    const at = await play(`
- hosts: nodes
  max_fail_percentage: 20
  vars: {fail_on: n1}
  tasks:${step('first')}${step('second')}
`);
    expect(at.code, at.stderr + at.stdout.slice(0, 2000)).toBe(2);
    for (const h of ['n2', 'n3', 'n4', 'n5']) expect(ran(h, 'second'), h).toBe(true);

    pd.reset();
    const over = await play(`
- hosts: nodes
  max_fail_percentage: 20
  tasks:
    - name: first
      shell: "touch {{ base }}/{{ inventory_hostname }}-first && test {{ inventory_hostname }} != n1 && test {{ inventory_hostname }} != n2"
${step('second').slice(1)}
`);
    expect(over.code, over.stderr + over.stdout.slice(0, 2000)).toBe(2);
    for (const h of HOSTS) expect(ran(h, 'first'), h).toBe(true);
    for (const h of HOSTS) expect(ran(h, 'second'), h).toBe(false);
    expect(over.stdout).toContain('stopped: max_fail_percentage 20: 2 of 5 hosts of the batch failed (40%)');
  });

  it('any_errors_fatal: one host failing stops all of them before the next task and skips the handlers', async () => {
    const r = await play(`
- hosts: nodes
  any_errors_fatal: true
  vars: {fail_on: n3}
  tasks:${step('drain', '\n      notify: restarted')}${step('upgrade')}
  handlers:
    - name: restarted
      shell: "touch {{ base }}/{{ inventory_hostname }}-handler"
`);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(2);
    for (const h of HOSTS) expect(ran(h, 'drain'), h).toBe(true);
    for (const h of HOSTS) expect(ran(h, 'upgrade') || ran(h, 'handler'), h).toBe(false);
    expect(r.stdout).toContain("stopped: any_errors_fatal: 'drain' failed on n3");
    expect(recap(r.stdout)).toMatchObject({ n3: { failed: 1 }, n1: { failed: 0, changed: 1 } });
  });

  it('any_errors_fatal on a task inside a block with a rescue: the rescue handles it and the play goes on', async () => {
    const r = await play(`
- hosts: nodes
  vars: {fail_on: n1}
  tasks:
    - block:${step('risky', '\n      any_errors_fatal: true').replace(/\n    /g, '\n        ')}
      rescue:
        - name: rescue
          shell: "touch {{ base }}/{{ inventory_hostname }}-rescue"
    - name: after
      shell: "touch {{ base }}/{{ inventory_hostname }}-after"
`);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
    expect(ran('n1', 'rescue')).toBe(true);
    for (const h of HOSTS) expect(ran(h, 'after'), h).toBe(true);
    expect(recap(r.stdout).n1).toMatchObject({ failed: 0, rescued: 1 });
  });
});

describe('checked before any host is touched', () => {
  it.each([
    ['serial: abc', /serial/],
    ['serial: 0', /serial/],
    ['serial: [1, "x%"]', /serial/],
    ['max_fail_percentage: 120', /max_fail_percentage/],
    ['any_errors_fatal: "yes"', /any_errors_fatal/],
  ])('%s is exit 5 with the line', async (keyword, what) => {
    const r = await play(`- hosts: nodes\n  ${keyword}\n  tasks:${step('t')}\n`);
    expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(5);
    expect(r.stderr).toMatch(what);
    expect(r.stderr).toMatch(/pb\.yml:2/);
    for (const h of HOSTS) expect(ran(h, 't'), h).toBe(false);
  });
});
