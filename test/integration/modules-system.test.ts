import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import apt from '../../src/modules/apt.js';
import aptRepository from '../../src/modules/apt_repository.js';
import command from '../../src/modules/command.js';
import getUrl from '../../src/modules/get_url.js';
import kubectlApply from '../../src/modules/kubectl_apply.js';
import modprobe from '../../src/modules/modprobe.js';
import route from '../../src/modules/route.js';
import service from '../../src/modules/service.js';
import shell from '../../src/modules/shell.js';
import sysctl from '../../src/modules/sysctl.js';
import waitFor from '../../src/modules/wait_for.js';
import { quote } from '../../src/quote.js';
import { gatherFacts } from '../../src/run/facts.js';
import type { Connection } from '../../src/connection/types.js';
import { argErrors, netnsConnection, runModule, WrappedConnection } from '../support/module-harness.js';
import { connectTestSsh, stopTestSshd } from '../support/sshd.js';

const sh = (cmd: string) => execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
const PWNED = '/tmp/fabric-pwned-system-modules';
const hostile = [`$(touch ${PWNED})`, `\`touch ${PWNED}\``, `a'b"c; touch ${PWNED}`, `line1\nline2`, '-n', '$HOME'];

let conn: LocalConnection;
let dir: string;
beforeAll(() => {
  conn = new LocalConnection('local');
  dir = mkdtempSync(join(tmpdir(), 'fabric-sysmod-'));
  rmSync(PWNED, { force: true });
});
afterAll(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
  expect(existsSync(PWNED)).toBe(false); // no hostile value ever ran as a command
});

describe('command', () => {
  it('creates: first run runs, second run is skipped in one exec', async () => {
    const f = join(dir, 'made by command');
    const args = { argv: ['touch', f], creates: f };
    const r1 = await runModule(command, args, conn);
    expect(r1).toMatchObject({ changed: true, rc: 0, execs: 1, uploads: 0 });
    expect(existsSync(f)).toBe(true);
    const r2 = await runModule(command, args, conn);
    expect(r2).toMatchObject({ changed: false, rc: 0, execs: 1, uploads: 0 });
    expect(r2.msg).toContain('exists');
  });

  it('removes, chdir and globs in creates', async () => {
    mkdirSync(join(dir, 'cd'), { recursive: true });
    writeFileSync(join(dir, 'cd', 'a.log'), '');
    const r = await runModule(command, { cmd: 'pwd', chdir: join(dir, 'cd'), removes: '*.log' }, conn);
    expect(r).toMatchObject({ changed: true, stdout: join(dir, 'cd') });
    const s = await runModule(command, { cmd: 'pwd', chdir: join(dir, 'cd'), creates: '*.log' }, conn);
    expect(s).toMatchObject({ changed: false, rc: 0 });
    const t = await runModule(command, { cmd: 'pwd', chdir: join(dir, 'cd'), removes: '*.nothing' }, conn);
    expect(t).toMatchObject({ changed: false, rc: 0 });
  });

  it('passes hostile words literally, through argv and through cmd', async () => {
    const r = await runModule(command, { argv: ['printf', '%s|', ...hostile] }, conn);
    expect(r.stdout).toBe(hostile.map((h) => `${h}|`).join(''));
    const r2 = await runModule(command, { cmd: `echo '$(touch ${PWNED})' "; touch ${PWNED}" \`touch ${PWNED}\`` }, conn);
    expect(r2.stdout).toBe(`$(touch ${PWNED}) ; touch ${PWNED} \`touch ${PWNED}\``);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('stdin, stdout_lines, stderr and failure by rc', async () => {
    const r = await runModule(command, { argv: ['cat'], stdin: "x'$(y)\nz" }, conn);
    expect(r.stdout_lines).toEqual(["x'$(y)", 'z']);
    const f = await runModule(command, { argv: ['ls', join(dir, 'no such file')] }, conn);
    expect(f).toMatchObject({ failed: true, changed: true });
    expect(f.rc).not.toBe(0);
    expect(f.stderr).toContain('No such file');
    const nf = await runModule(command, { cmd: 'fabric-no-such-command' }, conn);
    expect(nf).toMatchObject({ failed: true, rc: 127 });
  });

  it("start, end and delta as Ansible writes them; none for a command that did not run", async () => {
    const r = await runModule(command, { argv: ['sleep', '0.2'] }, conn);
    const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
    expect(r.start).toMatch(stamp);
    expect(r.end).toMatch(stamp);
    expect(r.end >= r.start).toBe(true);
    const m = /^(\d+):(\d\d):(\d\d\.\d{6})$/.exec(r.delta as string)!;
    const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    expect(seconds).toBeGreaterThanOrEqual(0.2);
    expect(seconds).toBeLessThan(5);
    const s = await runModule(command, { cmd: 'pwd', creates: '/' }, conn);
    expect(s).toMatchObject({ changed: false, start: null, end: null, delta: null });
  });

  it('rejects bad args with a did-you-mean', () => {
    expect(argErrors(command, { cmd: 'ls', chdri: '/' })).toEqual([expect.stringContaining("did you mean 'chdir'")]);
    expect(() => command.validate!({ cmd: 'ls', argv: ['ls'] }, {} as never)).toThrow(/either/);
    expect(() => command.validate!({ cmd: "echo 'open" }, {} as never)).toThrow(/quote/);
  });
});

describe('shell', () => {
  it('runs shell text with pipes; hostile creates is a literal path', async () => {
    const r = await runModule(shell, { cmd: 'echo a b | wc -w' }, conn);
    expect(r).toMatchObject({ changed: true, stdout: '2', rc: 0, execs: 1 });
    const b = await runModule(shell, { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' }, conn);
    expect(b.stdout).toBe('bash');
    const h = await runModule(shell, { cmd: 'echo ran', creates: `${dir}/$(touch ${PWNED})` }, conn);
    expect(h.stdout).toBe('ran');
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('facts', () => {
  it('gathers real facts in one round trip', async () => {
    const before = conn.stats.execs;
    const f = await gatherFacts((s) => conn.exec(s));
    expect(conn.stats.execs - before).toBe(1);
    expect(f).toMatchObject({ os_family: 'Debian', distribution: 'Debian', kernel: release(), hostname: hostname().split('.')[0], pkg_mgr: 'apt' });
    expect(f.has_systemd).toBe(existsSync('/run/systemd/system'));
    expect(f.distribution_version).toBe(/VERSION_ID="?([^"\n]*)/.exec(readFileSync('/etc/os-release', 'utf8'))![1]);
    const def = JSON.parse(sh('ip -j route show default')) as { dev?: string; gateway?: string }[];
    if (def[0]) expect(f.default_ipv4).toMatchObject({ interface: def[0].dev, gateway: def[0].gateway });
    expect(f.all_ipv4_addresses).not.toContain('127.0.0.1');
    if (f.default_ipv4.address) expect(f.all_ipv4_addresses).toContain(f.default_ipv4.address);
  });
});

/** Namespaces this file creates; sysctl and route changes happen only inside them. */
const NS_SYS = `fabtest-sys-${process.pid}`;
const NS_RT = `fabtest-rt-${process.pid}`;

describe('sysctl (inside a private network namespace)', () => {
  let ns: WrappedConnection;
  beforeAll(() => {
    sh(`ip netns add ${NS_SYS}`);
    ns = netnsConnection(NS_SYS);
  });
  afterAll(async () => {
    await ns.close();
    sh(`ip netns del ${NS_SYS}`);
  });
  const live = (key: string) => sh(`ip netns exec ${NS_SYS} cat /proc/sys/${key.replace(/\./g, '/')}`).trim().split(/\s+/).join(' ');

  it('sets live value and file, then is a one-exec no-op; values compare normalised', async () => {
    const file = join(dir, 'sysctl.d', '90-test.conf');
    const args = { name: 'net.ipv4.ip_forward', value: 1, sysctl_file: file };
    expect(live('net.ipv4.ip_forward')).toBe('0');
    const c = await runModule(sysctl, args, ns, { check: true, diff: true });
    expect(c.changed).toBe(true);
    expect(c.diff).toEqual([{ path: file, before: '', after: 'net.ipv4.ip_forward=1\n' }, { path: '/proc/sys/net/ipv4/ip_forward', before: '0\n', after: '1\n' }]);
    expect(live('net.ipv4.ip_forward')).toBe('0');
    expect(existsSync(file)).toBe(false);
    const r1 = await runModule(sysctl, args, ns);
    expect(r1.changed).toBe(true);
    expect(live('net.ipv4.ip_forward')).toBe('1');
    expect(readFileSync(file, 'utf8')).toBe('net.ipv4.ip_forward=1\n');
    const r2 = await runModule(sysctl, { ...args, value: '1' }, ns);
    expect(r2).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    // Multi-number values: /proc prints tabs, the file spaces.
    const rmem = { name: 'net.ipv4.tcp_rmem', value: '4096  87380 6291456', sysctl_file: file };
    expect((await runModule(sysctl, rmem, ns)).changed).toBe(true);
    expect(live('net.ipv4.tcp_rmem')).toBe('4096 87380 6291456');
    expect(await runModule(sysctl, { ...rmem, value: '4096 87380 6291456' }, ns)).toMatchObject({ changed: false, execs: 1 });
  });

  it('replaces the key line in place, keeps other lines, removes duplicates; absent removes it', async () => {
    const file = join(dir, 'sysctl-edit.conf');
    writeFileSync(file, '# keep me\nnet.ipv4.ip_forward = 0\nvm.x=1\nnet.ipv4.ip_forward=0\n');
    const r = await runModule(sysctl, { name: 'net.ipv4.ip_forward', value: '1', sysctl_file: file, reload: false }, ns, { diff: true });
    expect(r.changed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('# keep me\nnet.ipv4.ip_forward=1\nvm.x=1\n');
    const a = await runModule(sysctl, { name: 'net.ipv4.ip_forward', state: 'absent', sysctl_file: file }, ns);
    expect(a.changed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('# keep me\nvm.x=1\n');
    expect(await runModule(sysctl, { name: 'net.ipv4.ip_forward', state: 'absent', sysctl_file: file }, ns)).toMatchObject({ changed: false, execs: 1 });
  });

  it('fails on an unknown key unless ignoreerrors; bad names are rejected before running', async () => {
    const file = join(dir, 'sysctl-unknown.conf');
    const r = await runModule(sysctl, { name: 'net.fabric.nope', value: 1, sysctl_file: file }, ns);
    expect(r).toMatchObject({ failed: true, changed: false });
    const i = await runModule(sysctl, { name: 'net.fabric.nope', value: 1, sysctl_file: file, ignoreerrors: true }, ns);
    expect(i.changed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('net.fabric.nope=1\n');
    expect(argErrors(sysctl, { name: 'net.ipv4.ip_forward; touch /tmp/x', value: 1 }).length).toBe(1);
    expect(argErrors(sysctl, { name: 'a.b', valeu: 1 })).toEqual([expect.stringContaining("did you mean 'value'")]);
    expect(() => sysctl.validate!({ name: 'a.b', value: 'x\ny' }, {} as never)).toThrow(/one line/);
  });

  it('writes hostile values literally to the file (the kernel then refuses them)', async () => {
    const file = join(dir, 'sysctl-hostile.conf');
    const v = `1 $(touch ${PWNED}) \`touch ${PWNED}\` ; '"`;
    const r = await runModule(sysctl, { name: 'net.ipv4.ip_forward', value: v, sysctl_file: file, reload: false }, ns);
    expect(r.changed).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`net.ipv4.ip_forward=${v}\n`);
    expect(existsSync(PWNED)).toBe(false);
  });
});

describe('route (inside a private network namespace)', () => {
  let ns: WrappedConnection;
  beforeAll(() => {
    sh(`ip netns add ${NS_RT}`);
    sh(`ip netns exec ${NS_RT} sh -c 'ip link add fab0 type veth peer name fab1 && ip link set fab0 up && ip link set fab1 up && ip addr add 10.77.0.1/24 dev fab0'`);
    ns = netnsConnection(NS_RT);
  });
  afterAll(async () => {
    await ns.close();
    sh(`ip netns del ${NS_RT}`);
  });
  const routes = (dest: string) => sh(`ip netns exec ${NS_RT} ip -j route show ${dest}`);

  it('adds a /32 host route, then is a one-exec no-op; changes gateway; removes it', async () => {
    const args = { dest: '10.99.1.220/32', gateway: '10.77.0.10' };
    const c = await runModule(route, args, ns, { check: true, diff: true });
    expect(c.changed).toBe(true);
    expect(c.diff).toEqual([{ before: '', after: '10.99.1.220/32 via 10.77.0.10\n' }]);
    expect(JSON.parse(routes('10.99.1.220/32'))).toEqual([]);
    expect((await runModule(route, args, ns)).changed).toBe(true);
    expect(JSON.parse(routes('10.99.1.220/32'))).toMatchObject([{ dst: '10.99.1.220', gateway: '10.77.0.10', dev: 'fab0' }]);
    const again = await runModule(route, args, ns, { facts: { os_family: 'Debian' } as never });
    expect(again).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    const moved = await runModule(route, { dest: '10.99.1.220', gateway: '10.77.0.11', dev: 'fab0' }, ns);
    expect(moved.changed).toBe(true);
    expect(JSON.parse(routes('10.99.1.220/32'))).toMatchObject([{ gateway: '10.77.0.11' }]);
    const metric = await runModule(route, { dest: '10.99.1.220/32', gateway: '10.77.0.11', metric: 50 }, ns);
    expect(metric.changed).toBe(true);
    expect(JSON.parse(routes('10.99.1.220/32'))).toMatchObject([{ gateway: '10.77.0.11', metric: 50 }]);
    expect((await runModule(route, { dest: '10.99.1.220/32', state: 'absent' }, ns)).changed).toBe(true);
    expect(JSON.parse(routes('10.99.1.220/32'))).toEqual([]);
    expect((await runModule(route, { dest: '10.99.1.220/32', state: 'absent' }, ns, { facts: { os_family: 'Debian' } as never })).execs).toBe(1);
  });

  it('network routes and bad args', async () => {
    expect((await runModule(route, { dest: '10.98.0.0/16', gateway: '10.77.0.10' }, ns)).changed).toBe(true);
    expect(JSON.parse(routes('10.98.0.0/16'))).toMatchObject([{ dst: '10.98.0.0/16' }]);
    expect((await runModule(route, { dest: '10.98.0.0/16', gateway: '10.77.0.10' }, ns)).changed).toBe(false);
    expect(argErrors(route, { dest: '10.0.0.1/32; touch /tmp/x', gateway: '10.0.0.1' }).length).toBeGreaterThan(0);
    expect(argErrors(route, { dest: '10.0.0.1', gatway: '10.0.0.2' })).toEqual([expect.stringContaining("did you mean 'gateway'")]);
    expect(() => route.validate!({ dest: '10.0.0.1' }, {} as never)).toThrow(/gateway/);
  });
});

describe('service (sysv init script, no systemd here)', () => {
  const name = 'fabric-test-svc';
  const script = `/etc/init.d/${name}`;
  const pidfile = `/run/${name}.pid`;
  beforeAll(() => {
    expect(existsSync(script)).toBe(false);
    writeFileSync(
      script,
      `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: fabric test service (sleeps)
### END INIT INFO
PIDFILE=${pidfile}
case "$1" in
  start) start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --exec /bin/sleep -- 1000
    # --background returns before the child has written the pid file
    for i in 1 2 3 4 5 6 7 8 9 10; do $0 status && break; sleep 0.1; done ;;
  stop) start-stop-daemon --stop --quiet --oknodo --remove-pidfile --pidfile $PIDFILE --exec /bin/sleep ;;
  restart|reload|force-reload) $0 stop; $0 start ;;
  status) start-stop-daemon --status --pidfile $PIDFILE --exec /bin/sleep ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 1 ;;
esac
`,
    );
    chmodSync(script, 0o755);
  });
  afterAll(() => {
    sh(`${script} stop || true; update-rc.d -f ${name} remove >/dev/null 2>&1 || true; rm -f ${script} ${pidfile}`);
  });
  const running = () => {
    try {
      sh(`${script} status`);
      return true;
    } catch {
      return false;
    }
  };

  it('starts, is a one-exec no-op, stops; check mode changes nothing', async () => {
    expect(running()).toBe(false);
    const c = await runModule(service, { name, state: 'started' }, conn, { check: true, diff: true });
    expect(c.changed).toBe(true);
    expect(c.diff).toEqual([{ before: 'running: false\nenabled: false\n', after: 'running: true\nenabled: false\n' }]);
    expect(running()).toBe(false);
    expect(await runModule(service, { name, state: 'started' }, conn)).toMatchObject({ changed: true, execs: 2 });
    expect(running()).toBe(true);
    expect(await runModule(service, { name, state: 'started' }, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    const pid1 = readFileSync(pidfile, 'utf8').trim();
    expect((await runModule(service, { name, state: 'restarted' }, conn)).changed).toBe(true);
    expect(readFileSync(pidfile, 'utf8').trim()).not.toBe(pid1);
    expect((await runModule(service, { name, state: 'stopped' }, conn)).changed).toBe(true);
    expect(running()).toBe(false);
    expect(await runModule(service, { name, state: 'stopped' }, conn)).toMatchObject({ changed: false, execs: 1 });
  });

  it('enables and disables with update-rc.d', async () => {
    expect(await runModule(service, { name, enabled: true }, conn)).toMatchObject({ changed: true });
    expect(sh(`ls /etc/rc2.d`)).toMatch(new RegExp(`S\\d\\d${name}`));
    expect(await runModule(service, { name, enabled: true }, conn)).toMatchObject({ changed: false, execs: 1 });
    expect(await runModule(service, { name, enabled: false }, conn)).toMatchObject({ changed: true });
    expect(sh(`ls /etc/rc2.d`)).toMatch(new RegExp(`K\\d\\d${name}`));
    expect(await runModule(service, { name, enabled: false }, conn)).toMatchObject({ changed: false, execs: 1 });
  });

  it("reads frr's real init script status without touching it; unknown names fail; bad names rejected", async () => {
    const frrRunning = (() => {
      try {
        sh('/etc/init.d/frr status >/dev/null 2>&1');
        return true;
      } catch {
        return false;
      }
    })();
    const r = await runModule(service, { name: 'frr', state: frrRunning ? 'started' : 'stopped' }, conn, { check: true });
    expect(r).toMatchObject({ changed: false, execs: 1, status: { init: 'sysv', running: frrRunning } });
    expect(await runModule(service, { name: 'fabric-no-such-svc', state: 'started' }, conn)).toMatchObject({ failed: true });
    expect(argErrors(service, { name: `x; touch ${PWNED}`, state: 'started' }).length).toBe(1);
    expect(argErrors(service, { name: '-x', state: 'started' }).length).toBe(1);
    expect(argErrors(service, { name: 'ssh', stat: 'started' })).toEqual([expect.stringContaining("did you mean 'state'")]);
  });
});

describe("service frr: Debian's real init script, in private mount/pid/net/uts namespaces", () => {
  // A holder process owns fresh namespaces with its own /run and /var/tmp; every exec enters them,
  // so FRR's daemons, pid files and sockets never meet the machine's (or the lab's) FRR. Its PID 1
  // is a shell loop because PID 1 must reap: with `sleep` there, watchfrr stays a zombie and
  // `/etc/init.d/frr stop` waits for it forever.
  let holder: ChildProcess;
  let inner: number;
  let ns: WrappedConnection;
  beforeAll(async () => {
    holder = spawn('unshare', ['-m', '-p', '-n', '-u', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/tmp && mkdir -p /run/frr && chown frr:frr /run/frr && echo ready && while :; do sleep 1; done'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
      holder.on('exit', (c) => rej(new Error(`namespace holder exited ${c}`)));
    });
    inner = Number(sh(`pgrep -P ${holder.pid}`).trim());
    ns = new WrappedConnection('frr-ns', (s) => `nsenter -t ${inner} -m -p -n -u -- /bin/sh -c ${quote(s)}`);
  });
  afterAll(async () => {
    await ns?.close();
    if (inner) process.kill(inner, 'SIGKILL'); // pid 1 of the namespace: takes every daemon in it along
  });

  it('starts, is a one-exec no-op, stops, and reads enabled from the rc links', async () => {
    expect(await runModule(service, { name: 'frr', state: 'stopped' }, ns)).toMatchObject({ changed: false, execs: 1, status: { init: 'sysv', running: false } });
    expect(await runModule(service, { name: 'frr', state: 'started' }, ns)).toMatchObject({ changed: true, execs: 2 });
    expect((await ns.exec('ps -eo comm')).stdout).toMatch(/zebra/);
    expect(await runModule(service, { name: 'frr', state: 'started' }, ns)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    const enabled = /S\d\dfrr/.test(sh('ls /etc/rc2.d'));
    expect(await runModule(service, { name: 'frr', enabled }, ns, { check: true })).toMatchObject({ changed: false, execs: 1 });
    expect(await runModule(service, { name: 'frr', state: 'stopped' }, ns)).toMatchObject({ changed: true });
    expect((await ns.exec('ps -eo comm')).stdout).not.toMatch(/zebra|watchfrr/);
  });
});

describe('modprobe (no loadable modules on this kernel: built-ins and persistence only)', () => {
  // `bridge` is built into this kernel (/sys/module/bridge); there is no /lib/modules and no modprobe binary.
  const files = ['/etc/modules-load.d/bridge.conf', '/etc/modprobe.d/bridge.conf'];
  beforeAll(() => {
    for (const f of files) expect(existsSync(f)).toBe(false);
  });
  afterAll(() => {
    for (const f of files) rmSync(f, { force: true });
  });

  it('a loaded (built-in) module is a one-exec no-op; check mode reports an unload without doing it', async () => {
    expect(existsSync('/sys/module/bridge')).toBe(true);
    expect(await runModule(modprobe, { name: 'bridge' }, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    const c = await runModule(modprobe, { name: 'bridge', state: 'absent' }, conn, { check: true, diff: true });
    expect(c).toMatchObject({ changed: true, execs: 1 });
    expect(existsSync('/sys/module/bridge')).toBe(true);
  });

  it('writes and removes persistence files', async () => {
    const args = { name: 'bridge', params: 'x=1', persistent: 'present' as const };
    const c = await runModule(modprobe, args, conn, { check: true, diff: true });
    expect(c.diff).toEqual([
      { path: files[0], before: '', after: 'bridge\n' },
      { path: files[1], before: '', after: 'options bridge x=1\n' },
    ]);
    expect(existsSync(files[0]!)).toBe(false);
    expect((await runModule(modprobe, args, conn)).changed).toBe(true);
    expect(readFileSync(files[0]!, 'utf8')).toBe('bridge\n');
    expect(readFileSync(files[1]!, 'utf8')).toBe('options bridge x=1\n');
    expect(await runModule(modprobe, args, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect((await runModule(modprobe, { name: 'bridge', persistent: 'absent' }, conn)).changed).toBe(true);
    for (const f of files) expect(existsSync(f)).toBe(false);
  });

  it('loading a module that is not there fails (no modprobe here)', async () => {
    const r = await runModule(modprobe, { name: 'fabric_no_such_module' }, conn);
    expect(r).toMatchObject({ failed: true });
    expect(argErrors(modprobe, { name: 'x;y' }).length).toBe(1);
  });
});

describe('wait_for', () => {
  let server: ReturnType<typeof createTcpServer>;
  let port: number;
  beforeAll(async () => {
    server = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('port started: ok at once, one exec, never changed', async () => {
    const r = await runModule(waitFor, { port, timeout: 5 }, conn);
    expect(r).toMatchObject({ changed: false, execs: 1 });
    // Whole seconds from `date +%s`, as Ansible reports them: 1 when the check straddles a second.
    expect(r.elapsed).toBeLessThanOrEqual(1);
    expect(await runModule(waitFor, { port: port, state: 'stopped', timeout: 1 }, conn)).toMatchObject({ failed: true, changed: false });
  });

  it('a closed port times out; a stopped port is stopped', async () => {
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await runModule(waitFor, { host: '127.0.0.1', port: p, timeout: 1 }, conn);
    expect(r).toMatchObject({ failed: true, msg: `Timeout when waiting for 127.0.0.1:${p}` });
    expect(await runModule(waitFor, { port: p, state: 'stopped', timeout: 1 }, conn)).toMatchObject({ changed: false });
  });

  it('waits on the host for a path that appears later, and for content', async () => {
    const f = join(dir, 'appears later');
    const t = setTimeout(() => writeFileSync(f, 'booting\nREADY now\n'), 1200);
    const r = await runModule(waitFor, { path: f, timeout: 10 }, conn);
    clearTimeout(t);
    expect(r).toMatchObject({ changed: false, execs: 1 });
    expect(r.elapsed as number).toBeGreaterThanOrEqual(1);
    expect(await runModule(waitFor, { path: f, search_regex: '^READY', timeout: 2 }, conn)).toMatchObject({ changed: false });
    expect(await runModule(waitFor, { path: f, search_regex: "^NEVER$(touch /tmp/x)'", timeout: 1 }, conn)).toMatchObject({ failed: true });
    expect(await runModule(waitFor, { path: `${f}-$(touch ${PWNED})`, state: 'absent', timeout: 1 }, conn)).toMatchObject({ changed: false });
    expect(() => waitFor.validate!({ port: 1, state: 'present' }, {} as never)).toThrow(/path/);
    expect(argErrors(waitFor, { port: 22, timout: 1 })).toEqual([expect.stringContaining("did you mean 'timeout'")]);
  });
});

describe('get_url (local HTTP server on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  const body = Buffer.from('fabric get_url payload\n');
  const sha = createHash('sha256').update(body).digest('hex');
  let hits = 0;
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      hits++;
      if (req.url === '/file') res.end(body);
      else {
        res.statusCode = 404;
        res.end('nope');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads once, then a one-exec no-op with no request; verifies checksum; mode', async () => {
    const dest = join(dir, 'dl', 'payload.txt');
    mkdirSync(join(dir, 'dl'), { recursive: true });
    const args = { url: `${base}/file`, dest, checksum: `sha256:${sha}`, mode: '0640' };
    const c = await runModule(getUrl, args, conn, { check: true });
    expect(c.changed).toBe(true);
    expect(existsSync(dest)).toBe(false);
    expect((await runModule(getUrl, args, conn)).changed).toBe(true);
    expect(readFileSync(dest)).toEqual(body);
    expect((statSync(dest).mode & 0o777).toString(8)).toBe('640');
    const h = hits;
    expect(await runModule(getUrl, args, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect(hits).toBe(h);
    expect(sh(`ls -A ${quote(join(dir, 'dl'))}`).trim()).toBe('payload.txt'); // no temp files left
  });

  it('checksum mismatch fails and leaves dest untouched; force with equal content is ok; 404 fails', async () => {
    const dest = join(dir, 'dl', 'other.txt');
    writeFileSync(dest, 'old\n');
    const bad = await runModule(getUrl, { url: `${base}/file`, dest, checksum: `sha256:${'0'.repeat(64)}` }, conn);
    expect(bad).toMatchObject({ failed: true });
    expect(bad.msg).toContain('checksum mismatch');
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect((await runModule(getUrl, { url: `${base}/file`, dest }, conn)).changed).toBe(false); // exists, no force
    expect((await runModule(getUrl, { url: `${base}/file`, dest, force: true }, conn)).changed).toBe(true);
    expect(await runModule(getUrl, { url: `${base}/file`, dest, force: true }, conn)).toMatchObject({ changed: false });
    expect(await runModule(getUrl, { url: `${base}/missing`, dest: join(dir, 'dl', 'missing') }, conn)).toMatchObject({ failed: true });
    expect(existsSync(join(dir, 'dl', 'missing'))).toBe(false);
    const md5 = createHash('md5').update(body).digest('hex');
    expect(await runModule(getUrl, { url: `${base}/file`, dest, checksum: `md5:${md5}` }, conn)).toMatchObject({ changed: false, execs: 1 });
  });

  it('hostile url and dest stay literal', async () => {
    const dest = join(dir, 'dl', `x'; touch ${PWNED}; $(touch ${PWNED})`);
    const r = await runModule(getUrl, { url: `${base}/file?a=$(touch ${PWNED})&b='\`touch ${PWNED}\``, dest }, conn);
    expect(r).toMatchObject({ failed: true }); // the server says 404 for that path
    expect(existsSync(PWNED)).toBe(false);
    expect(argErrors(getUrl, { url: `${base}/file`, dest: '/tmp/x', chcksum: 'sha256:00' })).toEqual([expect.stringContaining("did you mean 'checksum'")]);
    expect(() => getUrl.validate!({ url: 'http://x', dest: '/x', checksum: 'crc:00' }, {} as never)).toThrow(/checksum/);
  });
});

describe('apt', () => {
  it('an installed package is a one-exec no-op; check mode on a missing one installs nothing', async () => {
    expect(await runModule(apt, { name: 'iproute2' }, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect(await runModule(apt, { name: ['iproute2', 'curl'], state: 'present' }, conn)).toMatchObject({ changed: false, execs: 1 });
    const c = await runModule(apt, { name: ['iproute2', 'sl'] }, conn, { check: true, diff: true });
    expect(c).toMatchObject({ changed: true, packages: ['sl'], execs: 1 });
    expect(sh("dpkg-query -W -f='${Status}' sl 2>/dev/null || true")).not.toContain('installed');
    expect(await runModule(apt, { name: 'sl', state: 'absent' }, conn)).toMatchObject({ changed: false, execs: 1 });
    const v = sh("dpkg-query -W -f='${Version}' iproute2");
    expect(await runModule(apt, { name: `iproute2=${v}` }, conn)).toMatchObject({ changed: false });
    expect(await runModule(apt, { name: 'iproute2=0.0-fabric' }, conn, { check: true })).toMatchObject({ changed: true });
    expect(argErrors(apt, { name: ['x; touch /tmp/x'] }).length).toBeGreaterThan(0);
    expect(() => apt.validate!({ name: `x$(touch ${PWNED})` }, {} as never)).toThrow(/invalid package/);
    expect(argErrors(apt, { name: 'x', stat: 'present' })).toEqual([expect.stringContaining("did you mean 'state'")]);
  });

  it('cache_valid_time: a fresh cache is not updated', async () => {
    expect(await runModule(apt, { name: 'iproute2', update_cache: true, cache_valid_time: 10 ** 9 }, conn)).toMatchObject({ changed: false, execs: 1 });
  });

  it('a stale cache with every package present is not a change (Ansible: cache_updated only); a bare update_cache is', async () => {
    expect(await runModule(apt, { name: 'iproute2', update_cache: true, cache_valid_time: 0 }, conn, { check: true })).toMatchObject({ changed: false, execs: 1 });
    expect(await runModule(apt, { update_cache: true, cache_valid_time: 0 }, conn, { check: true })).toMatchObject({ changed: true, execs: 1 });
  });

  // Talks to the Debian mirror: opt in with FABRIC_TEST_APT_NETWORK=1.
  it.runIf(process.env.FABRIC_TEST_APT_NETWORK === '1')('installs and removes a tiny package in one transaction each', async () => {
    expect((await runModule(apt, { name: 'sl' }, conn)).changed).toBe(true);
    expect(sh("dpkg-query -W -f='${Status}' sl")).toBe('install ok installed');
    expect(await runModule(apt, { name: 'sl' }, conn)).toMatchObject({ changed: false, execs: 1 });
    expect((await runModule(apt, { name: 'sl', state: 'absent', purge: true }, conn)).changed).toBe(true);
    expect(sh("dpkg-query -W -f='${Status}' sl 2>/dev/null || true")).not.toContain(' installed');
  }, 300_000);
});

describe('apt_repository (deb822, disabled so no apt-get update ever reads it)', () => {
  const name = `fabric-test-${process.pid}`;
  const path = `/etc/apt/sources.list.d/${name}.sources`;
  afterAll(() => rmSync(path, { force: true }));

  it('writes the .sources file, then a one-exec no-op; diff; absent removes it', async () => {
    const args = { name, uris: 'http://127.0.0.1:9/deb/', suites: '/', signed_by: '/etc/apt/keyrings/fabric-test.gpg', enabled: false, update_cache: false };
    const text = 'Types: deb\nURIs: http://127.0.0.1:9/deb/\nSuites: /\nSigned-By: /etc/apt/keyrings/fabric-test.gpg\nEnabled: no\n';
    const c = await runModule(aptRepository, args, conn, { check: true, diff: true });
    expect(c.diff).toEqual([{ path, before: '', after: text }]);
    expect(existsSync(path)).toBe(false);
    expect((await runModule(aptRepository, args, conn)).changed).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('644');
    expect(await runModule(aptRepository, args, conn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect((await runModule(aptRepository, { ...args, state: 'absent' }, conn)).changed).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(argErrors(aptRepository, { name, uri: 'x' })).toEqual([expect.stringContaining("did you mean 'uris'")]);
    expect(() => aptRepository.validate!({ name, uris: 'http://x', suites: 'bookworm' }, {} as never)).toThrow(/components/);
    expect(() => aptRepository.validate!({ name, uris: 'http://x\nTypes: deb-src', suites: '/' }, {} as never)).toThrow(/newline/);
  });
});

describe('kubectl_apply (kubectl is not installed here: a fake kubectl replays diff exit codes)', () => {
  // The fake logs its argv and the manifest it was given, and exits with the code in $dir/diff-rc for `diff`.
  let fake: string;
  let kconn: WrappedConnection;
  beforeAll(() => {
    fake = join(dir, 'fakebin');
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, 'kubectl'),
      `#!/bin/sh
echo "$*" >> ${quote(join(fake, 'log'))}
for a; do case "$prev" in -f) cp "$a" ${quote(join(fake, 'manifest'))};; esac; prev=$a; done
case " $* " in *" diff "*) rc=$(cat ${quote(join(fake, 'diff-rc'))}); [ "$rc" = 1 ] && echo "+  replicas: 2"; exit "$rc";; esac
exit 0
`,
    );
    chmodSync(join(fake, 'kubectl'), 0o755);
    kconn = new WrappedConnection('fake-kube', (s) => `PATH=${quote(fake)}:$PATH; export PATH\n${s}`);
  });
  afterAll(() => kconn.close());
  const log = () => (existsSync(join(fake, 'log')) ? readFileSync(join(fake, 'log'), 'utf8') : '');
  const reset = (rc: number) => {
    writeFileSync(join(fake, 'diff-rc'), String(rc));
    rmSync(join(fake, 'log'), { force: true });
  };
  const definition = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec: {replicas: 2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {x: "$(touch ${PWNED}) 'q'"}
`;

  it('same → ok in one exec, no upload, no apply', async () => {
    reset(0);
    expect(await runModule(kubectlApply, { definition, kubeconfig: '/etc/kubernetes/admin.conf' }, kconn)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect(log()).toMatch(/^--kubeconfig \/etc\/kubernetes\/admin\.conf diff -f \/tmp\/\.fabric-kube-\w+\n$/);
    expect(sh('ls -a /tmp').split('\n').filter((f) => f.startsWith('.fabric-kube-'))).toEqual([]); // temp manifest removed
    expect(readFileSync(join(fake, 'manifest'), 'utf8')).toBe(definition);
  });

  it('differs → apply --server-side and rollout status when wait; check mode only diffs', async () => {
    reset(1);
    const c = await runModule(kubectlApply, { definition, wait: true }, kconn, { check: true, diff: true });
    expect(c).toMatchObject({ changed: true, diff: [{ before: '', after: '+  replicas: 2\n' }] });
    expect(log()).not.toContain('apply');
    reset(1);
    const r = await runModule(kubectlApply, { definition, wait: true, wait_timeout: 60, namespace: 'demo' }, kconn);
    expect(r).toMatchObject({ changed: true, execs: 1, uploads: 0 });
    const lines = log().trim().split('\n');
    expect(lines[0]).toMatch(/^--namespace demo diff -f \/tmp\/\.fabric-kube-/);
    expect(lines[1]).toMatch(/^--namespace demo apply --server-side --field-manager=fabric -f /);
    expect(lines[2]).toBe('--namespace demo rollout status --namespace demo deployment/web --timeout=60s');
    expect(lines).toHaveLength(3);
    expect(existsSync(PWNED)).toBe(false);
  });

  it('diff error (rc > 1) fails', async () => {
    reset(2);
    expect(await runModule(kubectlApply, { definition: [{ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x' } }] }, kconn)).toMatchObject({ failed: true, rc: 2 });
    expect(log()).not.toContain('apply');
  });
});

describe('over SSH (the test sshd on 127.0.0.1): same behaviour, same round trips', () => {
  let ssh: Connection;
  beforeAll(async () => {
    ssh = await connectTestSsh();
  });
  afterAll(async () => {
    await ssh?.close();
    await stopTestSshd();
  });

  it('command creates, sysctl file (live untouched), apt no-op, facts', async () => {
    const f = join(dir, 'ssh made');
    expect(await runModule(command, { argv: ['touch', f], creates: f }, ssh)).toMatchObject({ changed: true, execs: 1 });
    expect(await runModule(command, { argv: ['touch', f], creates: f }, ssh)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    const file = join(dir, 'ssh-sysctl.conf');
    // reload false + sysctl_set false: only the file, never this machine's live value.
    const args = { name: 'net.ipv4.ip_forward', value: "1 '$(touch " + PWNED + ")'", sysctl_file: file, reload: false };
    expect(await runModule(sysctl, args, ssh)).toMatchObject({ changed: true, execs: 2, uploads: 0 });
    expect(readFileSync(file, 'utf8')).toBe(`net.ipv4.ip_forward=1 '$(touch ${PWNED})'\n`);
    expect(await runModule(sysctl, args, ssh)).toMatchObject({ changed: false, execs: 1, uploads: 0 });
    expect(await runModule(apt, { name: 'iproute2' }, ssh)).toMatchObject({ changed: false, execs: 1 });
    const facts = await gatherFacts((s) => ssh.exec(s));
    expect(facts.kernel).toBe(release());
    expect(existsSync(PWNED)).toBe(false);
  });
});
