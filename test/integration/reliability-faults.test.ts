// Faults during a run, on a small lab of our own (hosts get killed here, the shared lab must not):
// a host dying mid-task, a host that never answers, a connection cut mid-upload, and Ctrl-C.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labDown, labExecCapture, labUp, type LabInfo } from '../../src/lab/index.js';
import { hostInits } from '../../src/lab/hosts.js';
import { run } from '../../src/lab/proc.js';
import { resolveTopology } from '../../src/lab/topology.js';
import { recap, REPO } from '../support/fabric.js';
import { describeLab } from '../support/lab.js';
import { alive, descendants, hostProcesses, startFabric, waitFor, type LiveRun } from '../support/reliability.js';

const opts = { repoRoot: REPO, name: 'rel', hosts: 3 };
let lab: LabInfo;
let dir: string;

async function initOf(host: string): Promise<number> {
  const init = (await hostInits(resolveTopology(opts))).get(host);
  if (init === undefined) throw new Error(`${host} is not running`);
  return init;
}

async function sh(host: string, script: string): Promise<string> {
  const r = await labExecCapture(host, ['sh', '-c', script], opts);
  expect(r.code, `${host}: ${script}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function playbook(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function explain(r: LiveRun, code?: number): string {
  return `exit ${code}\n${r.stdout()}\n${r.stderr()}`;
}

/** Waits until a host runs a process with exactly this command line (the task is under way there). */
async function running(host: string, cmdline: string): Promise<void> {
  const init = await initOf(host);
  await waitFor(`${cmdline} on ${host}`, () => hostProcesses(init).some((p) => p.cmdline === cmdline));
}

/** The proxy launcher's directories in the controller's temp dir, to check the run left none. */
const controllerTempDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('fabric-proxy-'));

/** The proxy itself (a launcher shell's command line may mention socat too). */
const isSocat = (cmdline: string) => cmdline.startsWith('socat ');

function lineAt(r: LiveRun, re: RegExp): number | undefined {
  return r.lines.find((l) => re.test(l.text))?.at;
}

/** Temp files of ours (`.NAME.fabric-XXXX`) anywhere a test writes on a host. */
async function tempFiles(host: string): Promise<string[]> {
  const out = await sh(host, "find /tmp /etc /root -name '.*.fabric-*' 2>/dev/null || true");
  return out.split('\n').filter(Boolean);
}

describeLab('faults during a run (own lab "rel", 3 hosts)', () => {
  beforeAll(async () => {
    try {
      lab = await labUp(opts);
    } catch (e) {
      // Left over by a crashed run of this file (a host killed): start from scratch.
      if (!/fabric lab down/.test((e as Error).message)) throw e;
      await labDown(opts);
      lab = await labUp(opts);
    }
    dir = mkdtempSync(join(tmpdir(), 'fabric-rel-'));
  }, 180_000);

  afterAll(async () => {
    if (lab) await labDown(opts);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('hosts that are not there or never speak SSH are unreachable within the connect timeout; the others converge', async () => {
    // An unused address inside the lab's own subnet, reached through the lab's proxy like the rest,
    // and a port on h3 that accepts TCP but never sends an SSH banner (only the timeout can tell).
    await sh('h3', 'socat TCP-LISTEN:2222,fork,reuseaddr SYSTEM:"sleep 120" </dev/null >/dev/null 2>&1 &');
    const h3 = await initOf('h3');
    await waitFor('the mute listener', () => hostProcesses(h3).some((p) => p.cmdline.startsWith('socat TCP-LISTEN:2222')));
    const inv = join(dir, 'ghost.yml');
    const ghosts = '    ghosts:\n      hosts:\n        ghost:\n          fabric_host: 10.213.0.200\n        mute:\n          fabric_host: 10.213.0.4\n          fabric_port: 2222\n';
    writeFileSync(inv, readFileSync(lab.inventoryPath, 'utf8').replace(/^  vars:/m, `${ghosts}  vars:`));
    const pb = playbook('ghost-play.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: {argv: [touch, /tmp/ghost-ran]}\n');
    try {
      const r = startFabric(['play', pb, '-i', inv, '-l', 'h1,ghost,mute', '--timeout', '3']);
      const code = await r.done;
      expect(code, explain(r, code)).toBe(4);
      const rc = recap(r.stdout());
      expect(rc.ghost).toMatchObject({ unreachable: 1, ok: 0 });
      expect(rc.mute).toMatchObject({ unreachable: 1, ok: 0 });
      expect(rc.h1).toMatchObject({ ok: 1, changed: 1, unreachable: 0, failed: 0 });
      expect(r.stdout()).toMatch(/unreachable: \[ghost\] => .*10\.213\.0\.200/);
      // Timed from the play banner (node's own start-up is slow on a loaded machine): the 3 s
      // timeout, not the default 10 s, decides when the mute host is given up.
      const banner = lineAt(r, /^PLAY \[/)!;
      const mute = lineAt(r, /unreachable: \[mute\]/)! - banner;
      expect(mute, explain(r, code)).toBeGreaterThanOrEqual(2_500);
      expect(mute, explain(r, code)).toBeLessThan(3_000 + 5_000);
      expect(lineAt(r, /unreachable: \[ghost\]/)! - banner, explain(r, code)).toBeLessThan(3_000 + 5_000);
      await sh('h1', 'test -e /tmp/ghost-ran && rm /tmp/ghost-ran');
    } finally {
      for (const p of hostProcesses(h3)) if (p.cmdline.startsWith('socat TCP-LISTEN:2222')) process.kill(p.pid, 'SIGKILL');
    }
  });

  it('a connection cut mid-upload leaves the old content, and the next run removes the temp file', async () => {
    const big = randomBytes(30 * 1024 * 1024);
    writeFileSync(join(dir, 'big.bin'), big);
    const newSum = createHash('sha256').update(big).digest('hex');
    await sh('h1', 'mkdir -p /tmp/relcut && printf old-content > /tmp/relcut/big.bin');
    const oldSum = createHash('sha256').update('old-content').digest('hex');
    const pb = playbook('cut.yml', '- hosts: h1\n  gather_facts: false\n  tasks:\n    - copy: {src: big.bin, dest: /tmp/relcut/big.bin}\n');
    const r = startFabric(['play', pb, '-i', lab.inventoryPath]);
    // The host's /tmp, seen from the machine: poll cheaply for the partly written temp file.
    const hostTmp = `/proc/${await initOf('h1')}/root/tmp/relcut`;
    const partial = await waitFor('a partly uploaded temp file', () => {
      const f = readdirSync(hostTmp).find((n) => n.startsWith('.big.bin.fabric-'));
      if (!f) return undefined;
      try {
        const size = readFileSync(join(hostTmp, f)).length;
        return size > 0 && size < big.length ? f : undefined;
      } catch {
        return undefined;
      }
    }, 120_000, 10);
    // Cut the TCP stream: kill this run's proxy (socat) for h1.
    const proxy = descendants(r.child.pid!).filter((p) => isSocat(p.cmdline) && p.cmdline.includes('TCP:10.213.0.2:22'));
    expect(proxy.length, JSON.stringify(descendants(r.child.pid!))).toBeGreaterThan(0);
    for (const p of proxy) process.kill(p.pid, 'SIGKILL');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(4);
    expect(recap(r.stdout()).h1).toMatchObject({ unreachable: 1 });
    const after = await sh('h1', 'stat -c %s /tmp/relcut/big.bin; sha256sum < /tmp/relcut/big.bin; ls -la /tmp/relcut');
    expect(after.split('\n')[1]!.split(' ')[0], `${after}\nnew: ${newSum}\n${explain(r, code)}`).toBe(oldSum);
    expect(await tempFiles('h1'), 'the cut upload left its temp file').toContain(`/tmp/relcut/${partial}`);

    const again = startFabric(['play', pb, '-i', lab.inventoryPath]);
    const code2 = await again.done;
    expect(code2, explain(again, code2)).toBe(0);
    expect((await sh('h1', 'sha256sum < /tmp/relcut/big.bin')).split(' ')[0]).toBe(newSum);
    expect(await tempFiles('h1')).toEqual([]);
    await sh('h1', 'rm -rf /tmp/relcut');
  });

  it('Ctrl-C that gives up on an upload leaves the old content and no temp file', async () => {
    writeFileSync(join(dir, 'big2.bin'), randomBytes(30 * 1024 * 1024));
    await sh('h1', 'mkdir -p /tmp/relint2 && printf old-content > /tmp/relint2/big.bin');
    const pb = playbook('int-upload.yml', '- hosts: h1\n  gather_facts: false\n  tasks:\n    - copy: {src: big2.bin, dest: /tmp/relint2/big.bin}\n');
    const r = startFabric(['play', pb, '-i', lab.inventoryPath], { FABRIC_INTERRUPT_GRACE_MS: '1' });
    const hostTmp = `/proc/${await initOf('h1')}/root/tmp/relint2`;
    await waitFor('the upload to start', () => readdirSync(hostTmp).some((n) => n.startsWith('.big.bin.fabric-')), 120_000, 10);
    r.child.kill('SIGINT');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(130);
    expect(await sh('h1', 'cat /tmp/relint2/big.bin')).toBe('old-content');
    expect(await tempFiles('h1')).toEqual([]);
    await sh('h1', 'rm -rf /tmp/relint2');
  });

  it('Ctrl-C: running tasks finish, no new task starts, recap so far, exit 130, nothing left behind', async () => {
    await sh('h1', 'rm -rf /tmp/relint');
    await sh('h3', 'rm -rf /tmp/relint');
    const pb = playbook(
      'int.yml',
      [
        '- hosts: h1:h3',
        '  gather_facts: false',
        '  tasks:',
        '    - file: {path: /tmp/relint, state: directory}',
        '    - command: sleep 3',
        '    - copy: {dest: /tmp/relint/after, content: "must not be written\\n"}',
      ].join('\n') + '\n',
    );
    const before = new Set(controllerTempDirs());
    const r = startFabric(['play', pb, '-i', lab.inventoryPath]);
    await running('h1', 'sleep 3');
    await running('h3', 'sleep 3');
    const spawned = descendants(r.child.pid!);
    expect(spawned.filter((p) => isSocat(p.cmdline)).length, JSON.stringify(spawned)).toBe(2);
    r.child.kill('SIGINT');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(130);
    expect(r.stderr()).toMatch(/interrupt/);
    const rc = recap(r.stdout());
    // Both ran the directory task and finished the sleep they were in; nothing after it.
    expect(rc.h1, explain(r, code)).toMatchObject({ ok: 2, failed: 0, unreachable: 0 });
    expect(rc.h3, explain(r, code)).toMatchObject({ ok: 2, failed: 0, unreachable: 0 });
    for (const h of ['h1', 'h3']) {
      expect(await sh(h, 'ls -A /tmp/relint')).toBe('');
      expect(await tempFiles(h)).toEqual([]);
      await sh(h, 'rm -rf /tmp/relint');
    }
    expect(spawned.filter((p) => alive(p.pid)).map((p) => p.cmdline)).toEqual([]);
    await waitFor("the run's temp dirs on the controller to go", () => controllerTempDirs().every((d) => before.has(d)), 10_000);
  });

  it('Ctrl-C with a task that does not end: fabric stops waiting after the grace period', async () => {
    const pb = playbook('hang.yml', '- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: sleep 299\n    - command: {argv: [touch, /tmp/hang-after]}\n');
    const before = new Set(controllerTempDirs());
    const r = startFabric(['play', pb, '-i', lab.inventoryPath], { FABRIC_INTERRUPT_GRACE_MS: '2000' });
    await running('h1', 'sleep 299');
    const spawned = descendants(r.child.pid!);
    const sent = Date.now();
    r.child.kill('SIGINT');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(130);
    expect(Date.now() - sent, explain(r, code)).toBeLessThan(2_000 + 10_000);
    expect(r.stdout()).toMatch(/PLAY RECAP/);
    expect(recap(r.stdout()).h1, explain(r, code)).toMatchObject({ failed: 1 });
    expect(r.stdout()).toMatch(/interrupted/);
    expect(spawned.filter((p) => alive(p.pid)).map((p) => p.cmdline)).toEqual([]);
    await waitFor("the run's temp dirs on the controller to go", () => controllerTempDirs().every((d) => before.has(d)), 10_000);
    // The abandoned command does not outlive the run on the host either.
    const init = await initOf('h1');
    await waitFor('sleep 299 to end on h1', () => !hostProcesses(init).some((p) => p.cmdline === 'sleep 299'), 10_000);
    expect(existsSync(`/proc/${init}/root/tmp/hang-after`)).toBe(false);
  });

  it('a second Ctrl-C stops at once, and the run leaves no proxy process behind', async () => {
    const pb = playbook('hang2.yml', '- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: sleep 298\n');
    const before = new Set(controllerTempDirs());
    const r = startFabric(['play', pb, '-i', lab.inventoryPath]);
    await running('h1', 'sleep 298');
    const spawned = descendants(r.child.pid!);
    expect(spawned.some((p) => isSocat(p.cmdline))).toBe(true);
    r.child.kill('SIGINT');
    await waitFor('the first interrupt to be noticed', () => /interrupt/.test(r.stderr()), 10_000);
    const sent = Date.now();
    r.child.kill('SIGINT');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
    // socat sees its stdin close when fabric exits and ends shortly after.
    await waitFor('the proxies to exit', () => spawned.every((p) => !alive(p.pid)), 10_000);
    await waitFor("the run's temp dirs on the controller to go", () => controllerTempDirs().every((d) => before.has(d)), 10_000);
    // Stopping at once leaves the remote command; end it here so later tests start clean.
    const init = await initOf('h1');
    for (const p of hostProcesses(init)) if (p.cmdline === 'sleep 298') process.kill(p.pid, 'SIGKILL');
  });

  it('a host that goes silent mid-task is unreachable within the keepalive bound; the others finish (exit 4)', async () => {
    const pb = playbook('silent.yml', '- hosts: h1:h3\n  gather_facts: false\n  tasks:\n    - command: sleep 20\n    - command: {argv: [touch, /tmp/silent-after]}\n');
    const r = startFabric(['play', pb, '-i', lab.inventoryPath]);
    await running('h3', 'sleep 20');
    // The host vanishes from the network: no FIN, no RST; only keepalives can tell.
    const cut = Date.now();
    await run(['ip', 'netns', 'exec', 'rel-h3', 'ip', 'link', 'set', 'eth0', 'down']);
    try {
      const code = await r.done;
      expect(code, explain(r, code)).toBe(4);
      const seen = lineAt(r, /unreachable: \[h3\]/);
      expect(seen, explain(r, code)).toBeDefined();
      expect(seen! - cut, explain(r, code)).toBeLessThan(60_000);
      const rc = recap(r.stdout());
      expect(rc.h3).toMatchObject({ unreachable: 1 });
      expect(rc.h1).toMatchObject({ ok: 2, changed: 2, failed: 0, unreachable: 0 });
    } finally {
      await run(['ip', 'netns', 'exec', 'rel-h3', 'ip', 'link', 'set', 'eth0', 'up']);
    }
    await sh('h1', 'test -e /tmp/silent-after && rm /tmp/silent-after');
  });

  it('a host whose sshd and processes are killed mid-task is unreachable; the others finish (exit 4)', async () => {
    const pb = playbook('die.yml', '- hosts: bench\n  gather_facts: false\n  tasks:\n    - command: sleep 20\n    - command: {argv: [touch, /tmp/die-after]}\n');
    const r = startFabric(['play', pb, '-i', lab.inventoryPath]);
    await running('h2', 'sleep 20');
    await running('h1', 'sleep 20');
    // Killing the host's PID 1 kills every process of it: sshd, the session, the task.
    const init = await initOf('h2');
    const killed = Date.now();
    process.kill(init, 'SIGKILL');
    const code = await r.done;
    expect(code, explain(r, code)).toBe(4);
    const seen = lineAt(r, /unreachable: \[h2\]/);
    expect(seen, explain(r, code)).toBeDefined();
    expect(seen! - killed).toBeLessThan(60_000);
    const rc = recap(r.stdout());
    expect(rc.h2).toMatchObject({ unreachable: 1, ok: 0 });
    for (const h of ['h1', 'h3']) expect(rc[h], h).toMatchObject({ ok: 2, changed: 2, failed: 0, unreachable: 0 });
    expect(existsSync(`/proc/${await initOf('h1')}/root/tmp/die-after`)).toBe(true);
  });
});
