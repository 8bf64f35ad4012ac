// fabric plan / apply / play --confirm on real hosts (the test sshd): a plan saves what would change
// and the facts and inputs it was decided on; apply changes exactly that, or refuses, changing
// nothing on any host, when a host or an input changed since. A vaulted value never reaches the file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/connection/types.js';
import { applyPlan } from '../../src/cli/plan.js';
import { loadPlan } from '../../src/cli/run-play.js';
import type { PlayFlags } from '../../src/cli/play.js';
import { EXIT } from '../../src/errors.js';
import { recordInputs } from '../../src/load/inputs.js';
import { readPlan } from '../../src/plan-file/save.js';
import { runFabric, runFabricOnTty } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

const tag = randomBytes(4).toString('hex');
const SECRET = `Plan-${tag}-secret`;

const PLAY = `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: Write config
      copy: {dest: "{{ base }}/{{ inventory_hostname }}.conf", content: "port=1\\npassword={{ db_password }}\\n"}
    - name: Config dir
      file: {path: "{{ base }}/{{ inventory_hostname }}.d", state: directory}
    - name: Settled
      copy: {dest: "{{ base }}/settled-{{ inventory_hostname }}", content: "same\\n"}
`;

let pd: PlayDir;
let pwFile: string;
let pb: string;
let planFile: string;

const hostFiles = () => ['n1', 'n2'].flatMap((h) => [`${h}.conf`, `${h}.d`]).filter((f) => existsSync(join(pd.base, f)));
const fabric = (args: string[]) => runFabric([...args, '--vault-password-file', pwFile]);
const plan = (extra: string[] = []) => fabric(['plan', pb, '-i', pd.inv, '-o', planFile, ...extra]);
const apply = (extra: string[] = []) => fabric(['apply', planFile, ...extra]);

describe('fabric plan and apply', () => {
  beforeAll(async () => {
    pd = playDir(await testSshd(), ['n1', 'n2']);
    pwFile = join(pd.dir, 'vault-pass');
    writeFileSync(pwFile, 'plan apply pass\n', { mode: 0o600 });
    const enc = await runFabric(['vault', 'encrypt_string', '--vault-password-file', pwFile, '-n', 'db_password', SECRET]);
    expect(enc.code, enc.stderr).toBe(0);
    mkdirSync(join(pd.dir, 'group_vars'));
    writeFileSync(join(pd.dir, 'group_vars', 'nodes.yml'), enc.stdout);
    pb = join(pd.dir, 'site.yml');
    planFile = join(pd.dir, 'plan.json');
  });
  beforeEach(() => {
    pd.reset();
    writeFileSync(pb, PLAY);
    for (const h of ['n1', 'n2']) writeFileSync(join(pd.base, `settled-${h}`), 'same\n');
  });
  afterAll(async () => {
    await stopTestSshd();
    pd.remove();
  });

  it('plan changes nothing and saves per host what would change; apply changes exactly that; a second plan shows nothing', async () => {
    const p = await plan(['-D']);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^n1: 2 to change, 1 ok$/m);
    expect(p.stdout).toMatch(/^n2: 2 to change, 1 ok$/m);
    expect(p.stdout).toContain('~ Write config (');
    expect(p.stdout).toContain('+password=********');
    expect(hostFiles()).toEqual([]);
    const saved = readPlan(planFile);
    expect(saved.hosts.n1!.tasks.map((t) => [t.task, t.status])).toEqual([
      ['Write config', 'changed'],
      ['Config dir', 'changed'],
      ['Settled', 'ok'],
    ]);
    expect(saved.hosts.n1!.facts.map((f) => f.what)).toEqual([`file ${pd.base}/n1.conf`, `file ${pd.base}/n1.d`, `file ${pd.base}/settled-n1`]);
    expect(Object.keys(saved.inputs)).toEqual(expect.arrayContaining([pb, pd.inv, join(pd.dir, 'group_vars', 'nodes.yml')]));

    const a = await apply();
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(readFileSync(join(pd.base, 'n1.conf'), 'utf8')).toBe(`port=1\npassword=${SECRET}\n`);
    expect(hostFiles()).toEqual(['n1.conf', 'n1.d', 'n2.conf', 'n2.d']);

    const again = await plan();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^n1: no changes, 3 ok$/m);
    expect(again.stdout).toContain('Plan: no changes on 2 hosts.');
    expect((await plan(['--detailed-exitcode'])).code).toBe(0);
  });

  it('a vaulted value never appears in plan.json, not even inside a diff', async () => {
    expect((await plan(['-D'])).code).toBe(0);
    const text = readFileSync(planFile, 'utf8');
    expect(text).toContain('password=********');
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64')]) expect(text).not.toContain(form);
    // apply re-derives the change from the real value, not the masked diff
    expect((await apply()).code).toBe(0);
    expect(readFileSync(join(pd.base, 'n2.conf'), 'utf8')).toContain(SECRET);
  });

  it('a file edited by hand between plan and apply: apply refuses naming host and task, and changes nothing on any host', async () => {
    expect((await plan()).code).toBe(0);
    writeFileSync(join(pd.base, 'settled-n2'), 'edited by hand\n');
    const a = await apply();
    expect(a.code, a.stdout + a.stderr).toBe(EXIT.planStale);
    expect(a.stderr).toContain('apply refused: the hosts changed since the plan; nothing was changed on any host');
    expect(a.stderr).toMatch(/n2: Settled \(.*site\.yml:\d+\) decided on file .*settled-n2, which changed since the plan/);
    expect(a.stderr).not.toMatch(/n1: /);
    expect(hostFiles()).toEqual([]);
    expect(readFileSync(join(pd.base, 'settled-n2'), 'utf8')).toBe('edited by hand\n');
  });

  it('a playbook edited after the plan: refused, nothing changed', async () => {
    expect((await plan()).code).toBe(0);
    writeFileSync(pb, PLAY.replace('port=1', 'port=2'));
    const a = await apply();
    expect(a.code).toBe(EXIT.planStale);
    expect(a.stderr).toContain('apply refused: the playbooks, inventory or variables changed since the plan');
    expect(a.stderr).toContain('site.yml changed');
    expect(hostFiles()).toEqual([]);
  });

  it('a vars file added after the plan: refused', async () => {
    expect((await plan()).code).toBe(0);
    mkdirSync(join(pd.dir, 'host_vars'));
    writeFileSync(join(pd.dir, 'host_vars', 'n1.yml'), 'extra: 1\n');
    const a = await apply();
    expect(a.code).toBe(EXIT.planStale);
    expect(a.stderr).toMatch(/host_vars\/ \(its list of files\) changed/);
    expect(hostFiles()).toEqual([]);
  });

  it('a decision fed by a probe whose output changed: the host fails at that task, before changing it', async () => {
    const probed = `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: Read source
      command: {argv: [cat, "{{ base }}/source-{{ inventory_hostname }}"]}
      changed_when: false
      register: src
    - name: Copy source
      copy: {dest: "{{ base }}/target-{{ inventory_hostname }}", content: "{{ src.stdout }}"}
`;
    writeFileSync(pb, probed);
    for (const h of ['n1', 'n2']) for (const f of ['source', 'target']) writeFileSync(join(pd.base, `${f}-${h}`), 'a');
    const p = await plan();
    expect(p.stdout).toMatch(/^n1: no changes, 2 ok$/m);
    writeFileSync(join(pd.base, 'source-n1'), 'b');
    const a = await apply();
    expect(a.code, a.stdout + a.stderr).toBe(EXIT.failed);
    expect(a.stdout).toMatch(/failed: \[n1\].*the plan says it changes nothing on n1, but now it would change it/);
    expect(a.stderr).toMatch(/not applied as planned.*\n  n1: Copy source \(/);
    expect(readFileSync(join(pd.base, 'target-n1'), 'utf8')).toBe('a');
  });

  it('apply of a file that is not a plan, or with a flag the plan fixes: exit 5', async () => {
    writeFileSync(planFile, '{"hosts": {}}');
    const bad = await apply();
    expect(bad.code).toBe(EXIT.badInput);
    expect(bad.stderr).toContain('is not a fabric plan (version 1)');
    expect((await plan()).code).toBe(0);
    const fixed = await apply(['-u', 'someone']);
    expect(fixed.code).toBe(EXIT.badInput);
    expect(fixed.stderr).toContain('--user is fixed by the plan');
    expect(hostFiles()).toEqual([]);
  });

  it('a host unreachable in the plan run: no plan is saved, the exit code is the run\'s', async () => {
    const inv = join(pd.dir, 'with-gone.yml');
    writeFileSync(inv, readFileSync(pd.inv, 'utf8').replace('n2: {}}', 'n2: {}, gone: {fabric_port: 1}}'));
    const out = join(pd.dir, 'never.json');
    const r = await fabric(['plan', pb, '-i', inv, '-o', out]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.unreachable);
    expect(r.stderr).toContain('no plan: a host failed or was unreachable in check mode');
    expect(existsSync(out)).toBe(false);
  });

  it('play --confirm --yes plans, shows, applies', async () => {
    const r = await fabric(['play', pb, '-i', pd.inv, '--confirm', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^n1: 2 to change, 1 ok$/m);
    expect(hostFiles()).toEqual(['n1.conf', 'n1.d', 'n2.conf', 'n2.d']);
  });

  it('play --confirm without a terminal refuses with exit 5 before touching any host', async () => {
    const r = await fabric(['play', pb, '-i', pd.inv, '--confirm']);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toContain('--confirm asks on the terminal, and stdin is not one');
    expect(r.stdout).not.toContain('PLAN');
    expect(hostFiles()).toEqual([]);
  });

  it("play --confirm on a terminal: 'n' applies nothing, 'y' applies", async () => {
    const args = ['play', pb, '-i', pd.inv, '--confirm', '--vault-password-file', pwFile];
    const no = await runFabricOnTty(args, { when: 'Apply these changes? [y/N]', type: 'n\r' });
    expect(no.code, no.stdout).toBe(0);
    expect(no.stdout).toContain('n1: 2 to change, 1 ok');
    expect(no.stdout).toContain('Apply cancelled: nothing was changed.');
    expect(hostFiles()).toEqual([]);
    const yes = await runFabricOnTty(args, { when: 'Apply these changes? [y/N]', type: 'y\r' });
    expect(yes.code, yes.stdout).toBe(0);
    expect(hostFiles()).toEqual(['n1.conf', 'n1.d', 'n2.conf', 'n2.d']);
  });

  it('apply re-reads the plan facts in one round trip per host, and the tasks decide on that read; a no-op apply costs just that', async () => {
    const counted = async (): Promise<{ code: number; trips: number[] }> => {
      const saved = readPlan(planFile);
      const trips: number[] = [];
      const wrap = <C>(c: C): C => {
        const real = c as unknown as Connection;
        const n = trips.push(0) - 1;
        const conn: Connection = {
          host: real.host,
          stats: real.stats,
          exec: (s, o) => (trips[n]!++, real.exec(s, o)),
          upload: (content, path) => real.upload(content, path),
          close: () => real.close(),
        };
        return conn as unknown as C;
      };
      const inv = saved.invocation;
      const flags = { inventory: inv.inventory, extraVars: inv.extraVars, tags: inv.tags, skipTags: inv.skipTags, vaultPasswordFile: [pwFile], forks: '20', timeout: '10', verbose: 0 } as unknown as PlayFlags;
      recordInputs();
      const loaded = await loadPlan(inv.playbooks, flags);
      return { code: await applyPlan(saved, loaded, flags, { forks: 20, timeout: 10 }, wrap), trips };
    };
    expect((await plan()).code).toBe(0);
    // Per host, as a plain play costs (the re-read takes the place of the section's read-ahead): the re-read (1), the
    // config write (1), Config dir reads its path again after that change and mkdirs (2), Settled reads its file again (1).
    expect(await counted()).toEqual({ code: EXIT.ok, trips: [5, 5] });
    expect((await plan()).code).toBe(0);
    // Nothing to change: the re-read answers every task, which runs held to check mode.
    expect(await counted()).toEqual({ code: EXIT.ok, trips: [1, 1] });
  });
});
