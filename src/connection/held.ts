import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import {
  HOLDER_MAIN,
  fromWire,
  holderSocketPath,
  readMessages,
  send,
  type HolderReply,
  type HolderRequest,
} from './holder-protocol.js';
import type { RunLock } from './run-lock.js';
import type { SshTarget } from './ssh-target.js';
import { UnreachableError, type Connection, type ConnectionStats, type ExecOptions, type ExecResult } from './types.js';

/** How long a run waits for a holder it started to listen. */
const HOLDER_START_MS = 5000;
/** How long close() waits for the holder to stop an interrupted run's commands on the host. */
const STOP_WAIT_MS = 6000;

type Request = HolderRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** Lets this process exit without waiting for a holder it is starting (see forgetHolderStart). */
let forgetStart: (() => void) | undefined;
let forgotten = false;

/** Starts a holder on path (detached, in its own session) and resolves once it listens. */
function startHolder(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // cwd /: the holder outlives this run and must not keep its directory busy.
    const child = spawn(process.execPath, [HOLDER_MAIN, path], { detached: true, cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => finish(new Error(`the connection holder did not start within ${HOLDER_START_MS} ms`)), HOLDER_START_MS);
    let out = '';
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stdout.destroy();
      child.unref();
      if (err) reject(err);
      else resolve();
    };
    forgetStart = () => {
      timer.unref();
      (child.stdout as Socket).unref();
      child.unref();
    };
    if (forgotten) forgetStart();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) finish();
    });
    child.on('error', finish);
    child.on('exit', (code) => finish(new Error(`the connection holder exited ${code} before it was ready`)));
  });
}

let holder: Promise<string | undefined> | undefined;

/** The socket of this user's holder, started if none answers; undefined when there cannot be one. */
function holderPath(): Promise<string | undefined> {
  holder ??= (async () => {
    try {
      const path = holderSocketPath();
      const probe = await connectTo(path).catch(() => undefined);
      if (probe) probe.destroy();
      else await startHolder(path);
      return path;
    } catch (e) {
      // An unsafe socket directory, no way to start it: this run connects directly, and says so.
      process.stderr.write(`fabric: connections are not kept between runs: ${(e as Error).message}\n`);
      return undefined;
    }
  })();
  return holder;
}

/** Makes sure this user's holder runs (started if none answers) without waiting for it. */
export function startHolderEarly(): void {
  void holderPath();
}

/** A run that ends before connecting (bad input) exits at once; the holder it started exits idle. */
export function forgetHolderStart(): void {
  forgotten = true;
  forgetStart?.();
}

/**
 * A host connection leased from the connection holder: the same Connection as SshConnection, its
 * commands relayed over a local socket to the holder's SSH connection. close() gives it back.
 */
export class HeldConnection implements Connection {
  readonly stats: ConnectionStats = { execs: 0, uploads: 0 };
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: HolderReply & { ok: true }) => void; reject: (e: Error) => void }>();
  private broken: Error | undefined;

  private constructor(
    readonly host: string,
    private readonly sock: Socket,
  ) {
    readMessages<HolderReply>(sock, (m) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m);
      else w.reject(fromWire(host, m.error));
    });
    sock.on('error', (e) => (this.broken ??= new UnreachableError(host, `connection holder lost: ${e.message}`)));
    sock.on('close', () => {
      this.broken ??= new UnreachableError(host, 'connection holder closed the connection');
      for (const w of this.waiting.values()) w.reject(this.broken);
      this.waiting.clear();
    });
  }

  /**
   * Leases target's connection from this user's holder (starting the holder if needed). Undefined
   * when no holder can run here: the caller connects directly. Connection failures are thrown.
   */
  static async open(target: SshTarget, persistMs: number, lock?: RunLock): Promise<HeldConnection | undefined> {
    const path = await holderPath();
    if (!path) return undefined;
    const sock = await connectTo(path).catch(() => undefined);
    if (!sock) return undefined;
    const c = new HeldConnection(target.host, sock);
    try {
      await c.request({ op: 'open', target, persistMs, ...(lock ? { lock } : {}) });
    } catch (e) {
      sock.destroy();
      throw e;
    }
    return c;
  }

  private request(req: Request): Promise<HolderReply & { ok: true }> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      send(this.sock, { ...req, id } as HolderRequest);
    });
  }

  async exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stats.execs++;
    return (await this.request({ op: 'exec', script, opts })).result!;
  }

  async upload(content: Buffer, remotePath: string): Promise<void> {
    this.stats.uploads++;
    await this.request({ op: 'upload', path: remotePath, data: content.toString('base64') });
  }

  async close(opts: { drop?: boolean } = {}): Promise<void> {
    if (opts.drop) await this.request({ op: 'stop' }).catch(() => undefined);
    else if (this.waiting.size > 0) {
      // An interrupted run: the holder stops its commands on the host and drops the connection.
      const stopped = this.request({ op: 'stop' }).catch(() => undefined);
      await Promise.race([stopped, new Promise<void>((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    }
    this.sock.end();
    this.sock.unref();
  }
}

/** `fabric disconnect`: the number of parked connections the holder closed (0 when none runs). */
export async function disconnectHolder(): Promise<number> {
  const sock = await connectTo(holderSocketPath()).catch(() => undefined);
  if (!sock) return 0;
  return new Promise((resolve, reject) => {
    readMessages<HolderReply>(sock, (m) => {
      sock.end();
      if (m.ok) resolve(m.closed ?? 0);
      else reject(new Error(m.error.message));
    });
    sock.on('close', () => resolve(0));
    send(sock, { id: 1, op: 'shutdown' });
  });
}
