// Helpers for the reliability tests: a fabric run whose output lines carry arrival times, the
// processes it spawned, and the processes running inside a lab host (seen from the machine).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { FABRIC_BIN, REPO } from './fabric.js';

export interface TimedLine {
  at: number; // Date.now() when the line arrived
  text: string;
}

export interface LiveRun {
  child: ChildProcess;
  started: number;
  lines: TimedLine[];
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the exit code (or 128+n for a signal) when the process is gone. */
  done: Promise<number>;
}

/** Starts the CLI and keeps every stdout line with the time it arrived (detection times are asserted). */
export function startFabric(args: string[], env: NodeJS.ProcessEnv = {}): LiveRun {
  const child = spawn(process.execPath, [FABRIC_BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, FABRIC_REQUIRE_PROXY: '1', CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: TimedLine[] = [];
  let partial = '';
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const text of parts) lines.push({ at: Date.now(), text });
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 1));
    }),
  );
  return { child, started: Date.now(), lines, stdout: () => out, stderr: () => err, done };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  pidNs?: string;
  zombie: boolean;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pidNs = readlinkNs(pid);
    return {
      pid,
      ppid: Number(rest[1]),
      zombie: rest[0] === 'Z',
      cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(),
      pidNs,
    };
  } catch {
    return undefined; // exited while we looked
  }
}

function readlinkNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p) out.push(p);
  }
  return out;
}

/** Live descendants of pid (the ssh proxies a run spawned). */
export function descendants(pid: number): Proc[] {
  const all = processes();
  const out: Proc[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!parents.has(p.pid) && parents.has(p.ppid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out.filter((p) => !p.zombie);
}

/** True while pid runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  const p = readProc(pid);
  return !!p && !p.zombie;
}

/** Live processes in the PID namespace of a lab host's init (pid as the machine sees it). */
export function hostProcesses(init: number): Proc[] {
  const ns = readlinkNs(init);
  return processes().filter((p) => p.pidNs === ns && !p.zombie);
}
