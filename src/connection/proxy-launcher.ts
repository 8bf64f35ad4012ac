import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { shellJoin } from '../quote.js';

/**
 * Starts proxy commands (fabric_proxy_command) for many hosts with ONE spawn from Node.
 * Node's spawn forks the whole controller and waits for the exec: tens of ms each, blocking
 * the event loop (20 s for 100 hosts under load). Requests made in the same turn of the event
 * loop are started by one small bash, each proxy's stdio being one end of a socketpair
 * Node made for that spawn (an extra stdio slot), so no fd passing is needed.
 */

const BASH = '/bin/bash';
/** Proxies per helper bash (each takes one fd in the helper). */
const CHUNK = 200;

interface Request {
  argv: string[];
  cwd?: string;
  resolve: (d: Duplex) => void;
}

let pending: Request[] = [];

const PREFIX = 'fabric-proxy-';
let swept = false;

/**
 * Removes the proxy dirs of controllers that are gone. The helper bash removes its dir when its
 * proxies end, but a controller killed with its process group (SIGKILL) takes the helper along.
 * Once per process; a dir whose pid is alive (or was reused) is left alone.
 */
function sweepOrphans(): void {
  if (swept) return;
  swept = true;
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^fabric-proxy-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The proxy's stdio as a stream; an exit with a non-zero code destroys it with the proxy's stderr.
 * cwd: where it starts (default: this process's directory).
 */
export function launchProxy(argv: string[], cwd?: string): Promise<Duplex> {
  if (!existsSync(BASH)) return Promise.resolve(spawnOne(argv, cwd));
  return new Promise((resolve) => {
    if (!pending.length) setImmediate(flush);
    pending.push({ argv, cwd, resolve });
  });
}

function flush(): void {
  const all = pending;
  pending = [];
  for (let i = 0; i < all.length; i += CHUNK) launchChunk(all.slice(i, i + CHUNK));
}

/** The classic way: one spawn per proxy (no bash here, or a single request). */
function spawnOne(argv: string[], cwd?: string): Duplex {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('exit', (code) => {
    if (code) sock.destroy(new Error(`proxy command ${cmd} exited ${code}: ${stderr.trim()}`));
  });
  child.on('error', (e) => sock.destroy(e));
  sock.on('close', () => child.kill());
  return sock;
}

function launchChunk(reqs: Request[]): void {
  if (reqs.length === 1) {
    reqs[0]!.resolve(spawnOne(reqs[0]!.argv, reqs[0]!.cwd));
    return;
  }
  // Private dir for each proxy's stderr (shown when it fails), named for this process.
  sweepOrphans();
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const fds = reqs.map((_, i) => i + 3);
  const closeOthers = (keep: number) => fds.filter((f) => f !== keep).map((f) => `${f}>&-`).join(' ');
  // Each proxy: stdin and stdout on its socketpair end, every other slot closed (else EOF never
  // reaches a sibling); the helper reports "<index> <exit code>" on its stdout when one ends.
  const lines = reqs.map((r, i) => {
    const fd = fds[i]!;
    // `&` already forks the group, so its `cd` costs nothing and touches only this proxy.
    const cd = r.cwd ? `cd ${shellJoin([r.cwd])} && ` : '';
    return `{ ${cd}${shellJoin(r.argv)} <&${fd} >&${fd} 2>${shellJoin([join(dir, String(i))])} ${closeOthers(-1)}; echo "${i} $?"; } ${closeOthers(fd)} &`;
  });
  const script = [...lines, `exec ${fds.map((f) => `${f}>&-`).join(' ')}`, 'wait', `rm -rf -- ${shellJoin([dir])}`].join('\n');
  let child: ChildProcess;
  try {
    // From a file: the script grows with the square of the chunk (each line closes every other
    // slot), past the kernel's 128 KiB limit for one argument at about 140 proxies (E2BIG).
    const file = join(dir, 'launch.sh');
    writeFileSync(file, script, { mode: 0o600 });
    child = spawn(BASH, [file], { stdio: ['ignore', 'pipe', 'ignore', ...reqs.map(() => 'pipe' as const)] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    for (const r of reqs) r.resolve(failed(e as Error));
    return;
  }
  const socks = reqs.map((_, i) => child.stdio[i + 3] as Socket);
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const [idx, code] = out.slice(0, nl).split(' ').map(Number);
      out = out.slice(nl + 1);
      const req = reqs[idx!];
      if (!req || !code) continue;
      let stderr = '';
      try {
        stderr = readFileSync(join(dir, String(idx)), 'utf8').trim();
      } catch {
        // already cleaned up
      }
      socks[idx!]!.destroy(new Error(`proxy command ${req.argv[0]} exited ${code}: ${stderr}`));
    }
  });
  child.on('error', (e) => socks.forEach((s) => s.destroy(e)));
  // The helper (and proxies still draining after EOF) must not keep the controller alive after the run.
  child.unref();
  (child.stdout as Socket).unref();
  reqs.forEach((r, i) => r.resolve(socks[i]!));
}

function failed(e: Error): Duplex {
  const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(e); } });
  setImmediate(() => d.destroy(e));
  return d;
}
