import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostLockedError, type RunLock } from './run-lock.js';
import type { SshTarget } from './ssh-target.js';
import { HostKeyError, UnreachableError, type ExecOptions, type ExecResult } from './types.js';

/**
 * The connection holder speaks newline-delimited JSON over a unix socket, one socket per leased
 * host connection: closing the socket gives the connection back. Every request carries an id;
 * its reply carries the same id.
 */
export type HolderRequest =
  /** lock: the run lock to take on the host before the lease is granted (run-lock.ts). */
  | { id: number; op: 'open'; target: SshTarget; persistMs: number; lock?: RunLock }
  | { id: number; op: 'exec'; script: string; opts?: ExecOptions }
  | { id: number; op: 'upload'; path: string; data: string }
  /** Stop the lease's running commands on the host and drop its connection (an interrupted run). */
  | { id: number; op: 'stop' }
  /** `fabric disconnect`: drop every parked connection, park no more, exit when the last lease ends. */
  | { id: number; op: 'shutdown' };

export interface WireError {
  name: string;
  message: string;
}

export type HolderReply =
  | { id: number; ok: true; result?: ExecResult; closed?: number }
  | { id: number; ok: false; error: WireError };

/** The holder script; its build identity names the socket, so a rebuilt fabric never talks to an old holder. */
export const HOLDER_MAIN = fileURLToPath(new URL('./holder-main.js', import.meta.url));

/**
 * The per-user directory of holder sockets. Like OpenSSH's ControlPath, whoever can open the socket
 * can run commands on the held hosts: the directory must be ours and closed to everyone else.
 */
export function holderDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(process.env.XDG_RUNTIME_DIR || tmpdir(), `fabric-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory owned by uid ${uid} with mode 0700`);
  }
  return dir;
}

export function holderSocketPath(): string {
  const st = statSync(HOLDER_MAIN);
  const build = createHash('sha256').update(`${HOLDER_MAIN}\0${st.mtimeMs}\0${st.size}\0${process.version}`).digest('hex').slice(0, 12);
  return join(holderDir(), `holder-${build}.sock`);
}

export function send(sock: Socket, msg: HolderRequest | HolderReply): void {
  if (!sock.destroyed) sock.write(`${JSON.stringify(msg)}\n`);
}

/** Calls onMessage for each JSON line that arrives; a line that is not JSON destroys the socket. */
export function readMessages<T>(sock: Socket, onMessage: (m: T) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg: T;
      try {
        msg = JSON.parse(line) as T;
      } catch {
        sock.destroy(new Error('connection holder: a message that is not JSON'));
        return;
      }
      onMessage(msg);
    }
  });
}

export function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message };
}

/** The error the holder reported, as the type the executor judges (unreachable, host key, other). */
export function fromWire(host: string, e: WireError): Error {
  if (e.name === 'HostKeyError') return new HostKeyError(host, e.message);
  if (e.name === 'UnreachableError') return new UnreachableError(host, e.message);
  if (e.name === 'HostLockedError') return new HostLockedError(host, e.message);
  return new Error(e.message);
}
