import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A shell's view of how a process ended: its code, or 128 + the signal that killed it. */
export function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** Runs argv (no shell) to completion; `input` goes to stdin. Never throws for a non-zero exit. */
export function run(argv: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: exitCode(code, signal), stdout, stderr }));
    // A command that exits before reading all its input reports that by its exit code.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Like run, but a non-zero exit throws with the command and its stderr. */
export async function mustRun(argv: string[], input?: string): Promise<string> {
  const r = await run(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Runs fn over items with at most `limit` in flight. */

export interface ProcNs {
  pid: number;
  netNs?: string; // e.g. "net:[4026532281]"
  pidNs?: string;
}

/**
 * Every live process with its namespaces. Only namespace links are read: they never wait on the
 * process, while its cmdline can (a busy process's memory lock), which made full scans take seconds.
 */
export async function listNamespaces(): Promise<ProcNs[]> {
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid);
  return Promise.all(
    entries.map(async (e) => {
      const pid = Number(e);
      const [netNs, pidNs] = await Promise.all([
        readlink(`/proc/${pid}/ns/net`).catch(() => undefined),
        readlink(`/proc/${pid}/ns/pid`).catch(() => undefined),
      ]);
      return { pid, netNs, pidNs };
    }),
  );
}

/** Last NSpid field: 1 for the init of a PID namespace. */
export async function innerPid(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
  return nspid ? Number(nspid[nspid.length - 1]) : undefined;
}

export async function readCmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
}

export async function readComm(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

/** True while pid runs (a zombie waiting for its parent counts as gone). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
