import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// meta, force_handlers, throttle, ignore_unreachable and args over the real test sshd.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2', 'n3']);
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

/** A line appended on the host, to see what ran in which order. */
const mark = (what: string) => `shell: "echo ${what} >> {{ base }}/{{ inventory_hostname }}.log"`;
const log = (h: string) => readFileSync(join(pd.base, `${h}.log`), 'utf8').trim().split('\n');

describe('meta', () => {
  it('flush_handlers runs notified handlers at that point, not at the end', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - ${mark('change')}
      notify: handle
    - meta: flush_handlers
    - ${mark('after')}
  handlers:
    - name: handle
      ${mark('handler')}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['change', 'handler', 'after']);
    expect(recap(r.stdout).n1).toMatchObject({ ok: 3, changed: 3 });
  });

  it('end_host ends the play for the host it is true on (not failed); the next play has it again', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - ${mark('one')}
    - meta: end_host
      when: inventory_hostname == 'n1'
    - ${mark('two')}
- hosts: nodes
  tasks:
    - ${mark('next play')}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['one', 'next play']);
    expect(log('n2')).toEqual(['one', 'two', 'next play']);
    expect(recap(r.stdout).n1).toMatchObject({ ok: 2, failed: 0, skipped: 0 });
    expect(recap(r.stdout).n2).toMatchObject({ ok: 3, skipped: 1 });
  });

  it('end_play ends the play for every host, later serial batches too', async () => {
    const r = await pd.play(`
- hosts: nodes
  serial: 1
  tasks:
    - ${mark('one')}
    - meta: end_play
    - ${mark('two')}
- hosts: nodes
  tasks:
    - ${mark('next play')}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['one', 'next play']);
    expect(log('n2')).toEqual(['next play']);
  });

  it('reset_connection: the next task runs in a new SSH session', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - shell: echo $PPID
      register: before
      changed_when: false
    - meta: reset_connection
    - shell: echo $PPID
      register: after
      changed_when: false
    - assert: {that: [before.stdout != after.stdout]}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('clear_host_errors lets failed hosts go on', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - command: "false"
      when: inventory_hostname == 'n1'
    - meta: clear_host_errors
    - ${mark('after')}
`);
    expect(r.code).toBe(2); // n1's failure stays in the recap
    expect(log('n1')).toEqual(['after']);
  });

  it('an action fabric does not have is refused before any host is touched', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - meta: refresh_inventory
`);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/pb\.yml:4:\d+/);
    expect(r.stderr).toContain('flush_handlers');
  });
});

describe('handlers listen', () => {
  it('every handler listening to a topic runs once, the first skipped by its when or not', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - ${mark('change')}
      notify: restart app
    - ${mark('again')}
      notify: [restart app, second]
  handlers:
    - name: first
      listen: restart app
      when: inventory_hostname == 'n1'
      ${mark('first')}
    - name: second
      listen: restart app
      ${mark('second')}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(log('n1')).toEqual(['change', 'again', 'first', 'second']);
    expect(log('n2')).toEqual(['change', 'again', 'second']);
    expect(recap(r.stdout).n2).toMatchObject({ ok: 3, changed: 3, skipped: 1 });
  });
});

describe('force_handlers', () => {
  const play = (force: string) => `
- hosts: nodes
${force}  tasks:
    - ${mark('change')}
      notify: handle
    - command: "false"
      when: inventory_hostname == 'n1'
  handlers:
    - name: handle
      ${mark('handler')}
`;

  it('without it a failed host runs no handler; with it (keyword or --force-handlers) it does', async () => {
    const plain = await pd.play(play(''));
    expect(plain.code).toBe(2);
    expect(log('n1')).toEqual(['change']);
    expect(log('n2')).toEqual(['change', 'handler']);
    pd.reset();
    const forced = await pd.play(play('  force_handlers: true\n'));
    expect(forced.code).toBe(2);
    expect(log('n1')).toEqual(['change', 'handler']);
    pd.reset();
    const flag = await pd.play(play(''), ['--force-handlers']);
    expect(flag.code).toBe(2);
    expect(log('n1')).toEqual(['change', 'handler']);
  });
});

describe('throttle, args, ignore_unreachable', () => {
  it('throttle: 1 runs the task on one host at a time (a shared lock never finds another holder)', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - shell: "mkdir {{ base }}/lock && sleep 0.3 && rmdir {{ base }}/lock"
      throttle: 1
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const zero = await pd.play(`
- hosts: nodes
  tasks:
    - command: "true"
      throttle: 0
`);
    expect(zero.code).toBe(5);
    expect(zero.stderr).toContain('throttle');
  });

  it('args: arguments given apart from the module; the module own win; refused on a block', async () => {
    const r = await pd.play(`
- hosts: nodes
  tasks:
    - command: pwd
      args: {chdir: /tmp}
      register: here
      changed_when: false
    - assert: {that: ["here.stdout == '/tmp'"]}
`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const block = await pd.play(`
- hosts: nodes
  tasks:
    - block:
        - command: pwd
      args: {chdir: /tmp}
`);
    expect(block.code).toBe(5);
    expect(block.stderr).toContain("'args' is not a valid keyword for a block");
  });

  it('ignore_unreachable: the host is counted ok and ignored and goes on; without it, it is out of the play', async () => {
    const inv = join(pd.dir, 'dead.yml');
    writeFileSync(inv, readFileSync(pd.inv, 'utf8').replace('hosts: {', 'hosts: {dead: {fabric_port: 1}, '));
    const pb = join(pd.dir, 'unreach.yml');
    const write = (ignore: boolean) =>
      writeFileSync(
        pb,
        `
- hosts: nodes
  tasks:
    - command: "true"
      changed_when: false
${ignore ? '      ignore_unreachable: true\n' : ''}    - debug: {msg: after}
`,
      );
    write(true);
    const ignored = await runFabric(['play', pb, '-i', inv]);
    expect(ignored.code, ignored.stdout + ignored.stderr).toBe(0);
    expect(recap(ignored.stdout).dead).toMatchObject({ ok: 2, unreachable: 0, ignored: 1 });
    expect(ignored.stdout).toContain('...ignoring');
    write(false);
    const plain = await runFabric(['play', pb, '-i', inv]);
    expect(plain.code).toBe(4);
    expect(recap(plain.stdout).dead).toMatchObject({ ok: 0, unreachable: 1 });
  });
});
