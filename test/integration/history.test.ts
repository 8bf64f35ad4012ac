// The run history: what a real play over SSH records (who, when, command line, git state, per host
// and task results, secrets masked), the `fabric runs` commands, the switches, concurrent writers,
// and that a corrupt or locked database never fails a run.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runFabric, type FabricRun } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';
import type { FullRun, StoredRun } from '../../src/history/store.js';

const tag = randomBytes(4).toString('hex');
const SECRET = `Hist-${tag}-pw`;

let pd: PlayDir;
let pwFile: string;
let db: string;

const PLAY = `
- hosts: nodes
  gather_facts: false
  vars: {version: 1}
  tasks:
    - name: write config
      copy: {dest: "{{ base }}/{{ inventory_hostname }}.conf", content: "password={{ db_password }}\\nversion={{ version }}\\n"}
    - name: say hello
      debug: {msg: hello}
    - name: only n2 fails
      command: "false"
      when: inventory_hostname == 'n2' and (fail_n2 | default(false) | bool)
    - name: assert the password
      assert: {that: ["db_password | length > 3"], fail_msg: "bad {{ db_password }}"}
`;

/** fabric in the play dir, recording into this test's own database. */
const fabric = (args: string[], env: NodeJS.ProcessEnv = {}) => runFabric(args, { cwd: pd.dir, env: { FABRIC_HISTORY: db, ...env } });
/** Ad-hoc commands load group_vars too: they need the vault password. */
const vault = () => ['--vault-password-file', pwFile];
const play = (...extra: string[]) => fabric(['play', 'pb.yml', '-i', pd.inv, '--vault-password-file', pwFile, ...extra]);
const ok = (r: FabricRun, code = 0) => expect(r.code, r.stdout + r.stderr).toBe(code);
const listJson = async (...args: string[]) => {
  const r = await fabric(['runs', '--json', ...args]);
  ok(r);
  return JSON.parse(r.stdout) as StoredRun[];
};
const showJson = async (id: number) => {
  const r = await fabric(['runs', 'show', String(id), '--json']);
  ok(r);
  return JSON.parse(r.stdout) as FullRun;
};

beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
  db = join(pd.dir, 'hist', 'history.sqlite');
  pwFile = join(pd.dir, 'vault-pass');
  writeFileSync(pwFile, 'correct horse battery\n', { mode: 0o600 });
  const enc = await runFabric(['vault', 'encrypt_string', '--vault-password-file', pwFile, '-n', 'db_password', SECRET]);
  expect(enc.code, enc.stderr).toBe(0);
  mkdirSync(join(pd.dir, 'group_vars'));
  writeFileSync(join(pd.dir, 'group_vars', 'nodes.yml'), enc.stdout);
  writeFileSync(join(pd.dir, 'pb.yml'), PLAY);
  // The playbooks' repository: its commit and dirty state are recorded.
  const git = (...a: string[]) => execFileSync('git', ['-C', pd.dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { encoding: 'utf8' });
  git('init', '-q');
  git('add', 'pb.yml', 'group_vars');
  git('commit', '-qm', 'playbooks');
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

describe('a play over SSH', () => {
  let first: FullRun;

  it('records who, when, the command line, the git commit, and per host and task: status, changed, duration, diff, error', async () => {
    const before = new Date().toISOString();
    ok(await play('--diff'));
    expect(existsSync(db)).toBe(true);
    const [run] = await listJson();
    first = await showJson(run!.id);
    expect(first.command).toBe('play');
    expect(first.argv).toEqual(['play', 'pb.yml', '-i', pd.inv, '--vault-password-file', pwFile, '--diff']);
    expect(first.user).toBe(execFileSync('id', ['-un'], { encoding: 'utf8' }).trim());
    expect(first.startedAt >= before.slice(0, 19)).toBe(true);
    expect(first.cwd).toBe(pd.dir);
    expect(first.exitCode).toBe(0);
    const head = execFileSync('git', ['-C', pd.dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(first.git).toEqual({ root: pd.dir, commit: head, dirty: false });
    expect(first.hosts).toEqual(['n1', 'n2']);
    expect(first.stats.n1).toMatchObject({ ok: 3, changed: 1, skipped: 1 });
    const write = first.results.filter((r) => r.task === 'write config');
    expect(write.map((r) => [r.host, r.status, r.changed])).toEqual(expect.arrayContaining([['n1', 'changed', true], ['n2', 'changed', true]]));
    expect(write[0]!.durationMs).toBeGreaterThan(0);
    expect(write[0]!.diff![0]!.after).toBe('password=********\nversion=1\n');
    expect(first.results.filter((r) => r.task === 'only n2 fails').map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('a failing run: its error message, masked; the database files never hold the secret', async () => {
    writeFileSync(join(pd.dir, 'pb.yml'), PLAY.replace('length > 3', 'length > 300'));
    const r = await play('-e', 'fail_n2=true');
    ok(r, 2);
    const run = await showJson((await listJson())[0]!.id);
    expect(run.exitCode).toBe(2);
    expect(run.git!.dirty).toBe(true);
    const failed = run.results.filter((x) => x.status === 'failed');
    expect(failed.map((x) => [x.host, x.task])).toEqual([['n2', 'only n2 fails'], ['n1', 'assert the password']]);
    expect(failed[1]!.error).toBe('bad ********');
    expect(failed[0]!.error).toMatch(/non-zero return code/);
    for (const f of [db, `${db}-wal`]) if (existsSync(f)) expect(readFileSync(f).includes(SECRET), f).toBe(false);
    writeFileSync(join(pd.dir, 'pb.yml'), PLAY);
  });

  it('fabric runs lists newest first; --host, --changed, --since, --limit filter', async () => {
    ok(await play()); // a no-op rerun: nothing changed
    const all = await listJson();
    expect(all.length).toBe(3);
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => b - a));
    expect((await listJson('--changed')).map((r) => r.id)).toEqual([all[2]!.id]);
    expect((await listJson('--host', 'n1')).length).toBe(3);
    expect(await listJson('--host', 'elsewhere')).toEqual([]);
    expect((await listJson('--limit', '2')).length).toBe(2);
    expect((await listJson('--since', '1h')).length).toBe(3);
    expect(await listJson('--since', '2999-01-01')).toEqual([]);
    const text = await fabric(['runs']);
    ok(text);
    expect(text.stdout.split('\n')[0]).toMatch(/^ID\s+STARTED\s+USER\s+HOSTS\s+CHANGED\s+FAILED\s+EXIT\s+GIT\s+COMMAND$/);
    expect(text.stdout).toContain(`fabric play pb.yml -i ${pd.inv}`);
    expect(text.stdout).toMatch(/\+dirty/);
  });

  it('fabric runs show: every task on every host; diff: what differed per host', async () => {
    const [noop, failing] = await listJson();
    const show = await fabric(['runs', 'show', String(failing!.id)]);
    ok(show);
    expect(show.stdout).toContain('TASK [assert the password] (pb.yml:');
    expect(show.stdout).toContain('  failed: [n1] ');
    expect(show.stdout).toMatch(/^n2\s+: ok=2\s+changed=0\s+unreachable=0\s+failed=1/m);
    const diff = await fabric(['runs', 'diff', String(failing!.id), String(noop!.id)]);
    ok(diff);
    expect(diff.stdout).toContain(`runs ${failing!.id} and ${noop!.id}:`);
    expect(diff.stdout).toMatch(/n1:\n {2}assert the password \(pb\.yml:\d+\): failed \(bad \*{8}\) -> ok/);
    expect(diff.stdout).toMatch(/n2:\n {2}only n2 fails \(pb\.yml:\d+\): failed \(.*\) -> skipped/);
    const same = await fabric(['runs', 'diff', String(noop!.id), String(noop!.id)]);
    expect(same.stdout).toContain('n1: same results');
  });

  it('an unknown run id is exit 5, naming it and the database', async () => {
    const r = await fabric(['runs', 'show', '999']);
    ok(r, 5);
    expect(r.stderr).toContain(`no run 999 in the history ${db}`);
    const d = await fabric(['runs', 'diff', '1', 'x']);
    ok(d, 5);
    expect(d.stderr).toContain("run id 'x' is not a number");
  });
});

describe('switches', () => {
  it('ad-hoc run and facts are recorded; --no-history and FABRIC_HISTORY=off are not; --history FILE picks the file', async () => {
    const before = (await listJson()).length;
    ok(await fabric(['run', 'nodes', '-i', pd.inv, ...vault(), '--', 'true']));
    ok(await fabric(['facts', 'n1', '-i', pd.inv, ...vault()]));
    const [facts, adhoc] = await listJson();
    expect([facts!.command, adhoc!.command]).toEqual(['facts', 'run']);
    expect(adhoc!.argv).toEqual(['run', 'nodes', '-i', pd.inv, ...vault(), '--', 'true']);
    expect(adhoc!.hosts).toEqual(['n1', 'n2']);
    ok(await fabric(['run', 'nodes', '-i', pd.inv, ...vault(), '--no-history', '--', 'true']));
    ok(await fabric(['run', 'nodes', '-i', pd.inv, ...vault(), '--', 'true'], { FABRIC_HISTORY: 'off' }));
    expect((await listJson()).length).toBe(before + 2);
    const other = join(pd.dir, 'other.sqlite');
    ok(await fabric(['run', 'n1', '-i', pd.inv, ...vault(), '--history', other, '--', 'true']));
    expect((await listJson()).length).toBe(before + 2);
    expect((await listJson('--history', other)).map((r) => r.command)).toEqual(['run']);
  });

  it('with neither, the history is .fabric/history.sqlite in the current directory', async () => {
    const cwd = join(pd.dir, 'proj');
    mkdirSync(cwd);
    const r = await runFabric(['run', 'n1', '-i', pd.inv, ...vault(), '--', 'true'], { cwd, env: { FABRIC_HISTORY: '' } });
    ok(r);
    expect(existsSync(join(cwd, '.fabric', 'history.sqlite'))).toBe(true);
  });
});

describe('writers that meet', () => {
  const local = () => {
    const dir = join(pd.dir, `local-${randomBytes(3).toString('hex')}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'inv.yml'), `all:\n  hosts:\n${[1, 2, 3].map((i) => `    l${i}: {fabric_connection: local}\n`).join('')}`);
    writeFileSync(join(dir, 'pb.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - debug: {msg: "{{ inventory_hostname }}"}\n`);
    return { dir, run: (file: string, env: NodeJS.ProcessEnv = {}) => runFabric(['play', 'pb.yml', '-i', 'inv.yml'], { cwd: dir, env: { FABRIC_HISTORY: file, ...env } }) };
  };

  it('four runs at once are all recorded, whole', async () => {
    const l = local();
    const file = join(l.dir, 'h.sqlite');
    const runs = await Promise.all([1, 2, 3, 4].map(() => l.run(file)));
    for (const r of runs) {
      ok(r);
      expect(r.stderr).not.toContain('warning');
    }
    const list = await listJson('--history', file);
    expect(list.map((r) => r.id).sort()).toEqual([1, 2, 3, 4]);
    for (const r of list) expect((await fabric(['runs', 'show', String(r.id), '--json', '--history', file])).stdout).toContain('"host": "l3"');
    const Database = createRequire(join(REPO, 'package.json'))('better-sqlite3') as new (f: string) => { pragma(s: string, o: { simple: true }): unknown; close(): void };
    const check = new Database(file);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });

  it('a corrupt database: the run goes on and says so on stderr; fabric runs names the problem', async () => {
    const l = local();
    const file = join(l.dir, 'h.sqlite');
    writeFileSync(file, 'this is not a database\n'.repeat(400));
    const r = await l.run(file);
    ok(r);
    expect(r.stdout).toMatch(/l1\s+: ok=2/);
    expect(r.stderr).toMatch(new RegExp(`warning: run history: this run was not recorded in ${file}: file is not a database`));
    const list = await fabric(['runs', '--history', file]);
    ok(list, 5);
    expect(list.stderr).toContain(`the run history ${file} cannot be read: file is not a database`);
  });

  it('a database another process holds locked: the run waits its busy timeout, warns and goes on; the next run records', async () => {
    const l = local();
    const file = join(l.dir, 'h.sqlite');
    ok(await l.run(file));
    const holder: ChildProcess = spawn(
      process.execPath,
      ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(file)}); d.exec('BEGIN EXCLUSIVE'); console.log('locked'); setInterval(() => {}, 1000);`],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((res) => holder.once('exit', res));
    try {
      await new Promise<void>((res, rej) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && res());
        holder.once('exit', (c) => rej(new Error(`lock holder exited ${c}`)));
      });
      const r = await l.run(file, { FABRIC_HISTORY_BUSY_MS: '300' });
      ok(r);
      expect(r.stdout).toMatch(/l1\s+: ok=2/);
      expect(r.stderr).toMatch(/warning: run history: this run was not recorded in .*: database is locked/);
    } finally {
      holder.kill();
    }
    await exited;
    ok(await l.run(file));
    expect((await listJson('--history', file)).map((r) => r.id)).toEqual([2, 1]);
  });
});
