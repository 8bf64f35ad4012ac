// Runs that never collide (README: Run lock): a run that may change a host holds an flock in the
// host's session shell; a second such run waits (--lock-wait) or stops that host naming the run
// that holds it; check runs and facts proceed; the lock goes with the shell (a killed controller,
// the end of a holder's lease), a dead run's lock left on a host that was cut off is broken, and
// nothing a task starts keeps it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FABRIC_BIN, recap, runFabric, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

let dir = '';
let inv = '';
let A = '';
let B = '';
let LAB = '';
const id = randomBytes(4).toString('hex');
const mark = (n: string) => `/tmp/fabric-lock-${id}-${n}`;

function book(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Sleeps on host A, then writes mark('slow') (its time of writing is when the run let go). */
let SLOW = '';
/** Writes mark(NAME) with the time of day in ns on the hosts -l names */
let QUICK = '';

const play = (pb: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<FabricRun> => runFabric(['play', pb, '-i', inv, ...args], { env });

/** Starts a run in the background; resolves once its first task has started on the host. */
function background(pb: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ReturnType<typeof spawn>; done: Promise<number | null> } {
  const child = spawn(process.execPath, [FABRIC_BIN, 'play', pb, '-i', inv, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, done: new Promise((res) => child.on('exit', (code) => res(code))) };
}

async function labExec(host: string, cmd: string): Promise<string> {
  const r = await runFabric(['lab', 'exec', '--name', LAB, host, '--', 'sh', '-c', cmd]);
  return r.stdout.trim();
}

/** Waits until `cmd` on host prints something (the background run has reached its task). */
async function until(host: string, cmd: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await labExec(host, cmd)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for: ${cmd} on ${host}`);
}

const slowStarted = () => until(A, `ls ${mark('slow-started')} 2>/dev/null`);

describeLab('run lock', () => {
  beforeAll(() => {
    const lab = requireLab();
    inv = lab.inventoryPath;
    LAB = lab.name;
    [A, B] = lab.hosts.map((h) => h.name);
    dir = mkdtempSync(join(tmpdir(), 'fabric-lock-'));
    SLOW = book(
      'slow.yml',
      `
- hosts: ${A}
  gather_facts: false
  tasks:
    - name: started
      command: touch ${mark('slow-started')}
    - name: hold the host a while
      command: sleep {{ hold | default(3) }}
    - name: done
      shell: date +%s%N > ${mark('slow')}
`,
    );
    QUICK = book(
      'quick.yml',
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: write the mark
      shell: date +%s%N > ${mark('{{ name }}')}
`,
    );
  });
  afterAll(async () => {
    for (const h of [A, B]) await labExec(h, `rm -f /tmp/fabric-lock-${id}-*`);
    await runFabric(['disconnect']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second run stops the locked host with who holds it, runs nothing there, and goes on with the others; check runs and facts proceed', async () => {
    const slow = background(SLOW, ['-e', 'hold=6']);
    await slowStarted();
    const r = await play(QUICK, ['-l', `${A}:${B}`, '-e', 'name=second', '--lock-wait', '0']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const counts = recap(r.stdout);
    expect(counts[A]).toMatchObject({ failed: 1, changed: 0 });
    expect(counts[B]).toMatchObject({ failed: 0, changed: 1 });
    const line = r.stdout.split('\n').find((l) => l.includes(`[${A}]`) && l.includes('locked by'));
    expect(line, r.stdout).toMatch(new RegExp(`locked by run [0-9a-f]{12} \\(fabric play slow\\.yml, \\S+, pid \\d+\\) on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z; waited 0 s \\(--lock-wait\\)`));
    expect(await labExec(A, `ls ${mark('second')} 2>/dev/null`)).toBe('');
    expect(await labExec(B, `ls ${mark('second')} 2>/dev/null`)).not.toBe('');

    // Read-only runs take no lock: a check run and facts answer while the host is held.
    const check = await play(QUICK, ['-l', `${A}`, '-e', 'name=checked', '--check', '--lock-wait', '0']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).not.toContain('locked by');
    const facts = await runFabric(['facts', A, '-i', inv, '--json', '--lock-wait', '0']);
    expect(facts.code, facts.stderr).toBe(0);
    expect(Object.keys(JSON.parse(facts.stdout) as object)).toEqual([A]);
    expect(await slow.done).toBe(0);
  });

  it('with --lock-wait long enough the second run waits for the first and runs after it', async () => {
    const slow = background(SLOW, ['-e', 'hold=2']);
    await slowStarted();
    const r = await play(QUICK, ['-l', `${A}`, '-e', 'name=after', '--lock-wait', '20']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await slow.done).toBe(0);
    const first = BigInt(await labExec(A, `cat ${mark('slow')}`));
    const second = BigInt(await labExec(A, `cat ${mark('after')}`));
    expect(second > first, `${second} after ${first}`).toBe(true);
  });

  for (const persist of ['0', '60']) {
    it(`a killed controller's lock goes with its connection (FABRIC_SSH_PERSIST=${persist})`, async () => {
      await labExec(A, `rm -f ${mark('slow-started')} ${mark('slow')}`);
      const slow = background(SLOW, ['-e', 'hold=2'], { FABRIC_SSH_PERSIST: persist });
      await slowStarted();
      slow.child.kill('SIGKILL');
      await slow.done;
      // The interrupted command ends (sleep 2) or is stopped by the holder; the lock goes with its shell.
      const r = await play(QUICK, ['-l', `${A}`, '-e', `name=killed${persist}`, '--lock-wait', '10'], { FABRIC_SSH_PERSIST: persist });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await labExec(A, `ls ${mark('slow')} 2>/dev/null`)).toBe(''); // the killed run never reached its last task
      await labExec(A, `rm -f ${mark('slow-started')}`);
    });
  }

  it('a parked connection gives the lock back at the end of its lease and takes it again for the next run', async () => {
    const env = { FABRIC_SSH_PERSIST: '60' };
    const first = await play(QUICK, ['-l', `${A}`, '-e', 'name=lease1'], env);
    expect(first.code, first.stdout).toBe(0);
    // Parked now: another run can take the host at once, and while it holds it a third cannot.
    const slow = background(SLOW, ['-e', 'hold=4'], env);
    await slowStarted();
    const refused = await play(QUICK, ['-l', `${A}`, '-e', 'name=lease3', '--lock-wait', '0'], env);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.stdout).toContain('locked by run');
    expect(await slow.done).toBe(0);
    const again = await play(QUICK, ['-l', `${A}`, '-e', 'name=lease4', '--lock-wait', '0'], env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("a lock left by a dead run of this controller is broken: the host was cut off when the run died, so its shell still held it", async () => {
    const lab = requireLab();
    const links = (state: 'up' | 'down') =>
      runFabric(['lab', 'exec', '--name', LAB, A, '--', 'true']).then(() =>
        new Promise<void>((res, rej) => {
          const ns = `${lab.prefix}${A}`;
          const p = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `for i in $(ls /sys/class/net); do [ "$i" = lo ] || ip link set "$i" ${state}; done`], { stdio: 'ignore' });
          p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`links ${state} in ${ns}: exit ${code}`))));
        }),
      );
    await labExec(A, `rm -f ${mark('slow-started')} ${mark('slow')}`);
    const slow = background(SLOW, ['-e', 'hold=40']);
    await slowStarted();
    await links('down');
    try {
      slow.child.kill('SIGKILL'); // the host sees nothing of it: its sshd session and `sleep 40` go on
      await slow.done;
    } finally {
      await links('up');
    }
    const r = await play(QUICK, ['-l', A, '-e', 'name=stale', '--lock-wait', '3']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Breaking it killed the dead run's shell and its command.
    expect(await labExec(A, `pgrep -f '^sleep 40$' || true`)).toBe('');
  });

  it('nothing a task starts keeps the lock: a daemon left running does not hold the host', async () => {
    const daemon = book(
      'daemon.yml',
      `
- hosts: ${A}
  gather_facts: false
  tasks:
    - name: leave a process running
      shell: setsid sleep 30 >/dev/null 2>&1 < /dev/null &
`,
    );
    const r = await play(daemon);
    expect(r.code, r.stdout).toBe(0);
    const next = await play(QUICK, ['-l', `${A}`, '-e', 'name=afterdaemon', '--lock-wait', '0']);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    // The daemon holds no descriptor of the lock file.
    const held = await labExec(A, `for p in $(pgrep -f 'sleep 30'); do ls -l /proc/$p/fd 2>/dev/null; done | grep -c fabric-run.lock || true`);
    expect(held).toBe('0');
    await labExec(A, `pkill -f 'sleep 30' || true`);
  });

  it('--lock-wait must be a number of seconds (exit 5, before any host)', async () => {
    const r = await play(QUICK, ['-l', `${A}`, '-e', 'name=bad', '--lock-wait', 'soon']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("--lock-wait must be a number of seconds from 0 to 86400, not 'soon'");
    expect(await labExec(A, `ls ${mark('bad')} 2>/dev/null`)).toBe('');
  });
});
