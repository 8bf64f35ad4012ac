import type { Server, Socket } from 'node:net';
import { readMessages, send, toWire, type HolderReply, type HolderRequest } from './holder-protocol.js';
import { HostLockedError, type RunLock } from './run-lock.js';
import { SshConnection } from './ssh.js';
import { targetKey, type SshTarget } from './ssh-target.js';
import { UnreachableError, type ExecOptions, type ExecResult } from './types.js';

/** With nothing parked and no client, the holder exits after this long. */
const EXIT_WHEN_EMPTY_MS = 1000;

/**
 * One no-fork round trip through the held shell (behind the run lock's script when one is due):
 * false when the host does not answer in time. Throws HostLockedError when another run holds it.
 */
async function answers(conn: SshConnection, timeoutMs: number): Promise<boolean> {
  try {
    return (await conn.exec(':', { inline: true, timeoutMs })).rc === 0;
  } catch (e) {
    if (e instanceof HostLockedError) throw e;
    return false;
  }
}

/** Rejects with DEADLINE when p has not settled in ms. */
const DEADLINE = Symbol('deadline');
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(DEADLINE), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

interface Parked {
  conn: SshConnection;
  persistMs: number;
  timer: NodeJS.Timeout;
}

interface Lease {
  key: string;
  target: SshTarget;
  conn: SshConnection;
  persistMs: number;
  /** The run lock this lease holds (taken with its first command): given back before the connection is parked. */
  lock: RunLock | undefined;
  /**
   * A parked connection lent without a round trip: its first command also proves it answers. A
   * read-only probe goes at once and, on a connection that turns out dead, again on a new one;
   * any other command waits for the proof (it must never run twice).
   */
  unproven: boolean;
}

/**
 * Keeps SSH connections open between runs, as OpenSSH's ControlPersist does for Ansible: a run
 * leases one connection per host over a unix socket and gives it back when its socket closes;
 * a connection nobody leases for persistMs is closed. A leased connection serves one run only.
 */
export class ConnectionHolder {
  private readonly parked = new Map<string, Parked[]>();
  /** Leases giving their run lock back before they are parked, by target. */
  private readonly releasing = new Map<string, Promise<void>>();
  private clients = 0;
  /** Connections being closed: stopping a dead run's commands on the host must finish first. */
  private closing = 0;
  private shuttingDown = false;
  private exitTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: Server,
    private readonly exit: () => void,
  ) {
    server.on('connection', (sock) => this.serve(sock));
    this.exitIfEmpty();
  }

  private get parkedCount(): number {
    let n = 0;
    for (const list of this.parked.values()) n += list.length;
    return n;
  }

  private exitIfEmpty(): void {
    clearTimeout(this.exitTimer);
    if (this.clients > 0 || this.closing > 0 || this.parkedCount > 0) return;
    this.exitTimer = setTimeout(() => {
      this.server.close();
      this.exit();
    }, this.shuttingDown ? 0 : EXIT_WHEN_EMPTY_MS);
  }

  private serve(sock: Socket): void {
    this.clients++;
    clearTimeout(this.exitTimer);
    let lease: Lease | undefined;
    let opened = false;
    let dropped = false;
    const reply = (r: HolderReply) => send(sock, r);
    const fail = (id: number, e: unknown) => reply({ id, ok: false, error: toWire(e) });
    sock.on('error', () => undefined); // a client killed mid-run: handled on close
    readMessages<HolderRequest>(sock, (m) => {
      switch (m.op) {
        case 'open':
          if (opened) return fail(m.id, new Error('this socket already holds a connection'));
          opened = true;
          this.lease(m.target, m.lock)
            .then(({ conn, unproven }) => {
              lease = { key: targetKey(m.target), target: m.target, conn, persistMs: m.persistMs, lock: m.lock, unproven };
              if (sock.destroyed) return this.giveBack(lease, false);
              reply({ id: m.id, ok: true });
            })
            .catch((e: unknown) => fail(m.id, e));
          return;
        case 'exec':
          if (!lease) return fail(m.id, new Error('no connection opened on this socket'));
          this.exec(lease, m.script, m.opts).then((result) => reply({ id: m.id, ok: true, result }), (e: unknown) => fail(m.id, e));
          return;
        case 'upload':
          if (!lease) return fail(m.id, new Error('no connection opened on this socket'));
          this.upload(lease, Buffer.from(m.data, 'base64'), m.path).then(() => reply({ id: m.id, ok: true }), (e: unknown) => fail(m.id, e));
          return;
        case 'stop':
          dropped = true;
          void (lease ? this.close(lease.conn) : Promise.resolve()).then(() => reply({ id: m.id, ok: true }));
          return;
        case 'shutdown': {
          const closed = this.dropParked();
          this.shuttingDown = true;
          reply({ id: m.id, ok: true, closed });
          return;
        }
      }
    });
    sock.on('close', () => {
      this.clients--;
      if (lease) this.giveBack(lease, !dropped);
      this.exitIfEmpty();
    });
  }

  /**
   * An idle parked connection for the same target whose host key is still trusted, lent at once
   * (unproven: see Lease), else a new one. With lock, it takes the run lock pipelined ahead of
   * its first command (a parked one in the shell it runs, a new one before its first command).
   */
  private async lease(target: SshTarget, lock: RunLock | undefined): Promise<{ conn: SshConnection; unproven: boolean }> {
    const key = targetKey(target);
    // The previous run's lease of this host is giving its lock back: wait for it, not a new handshake.
    await this.releasing.get(key);
    const list = this.parked.get(key) ?? [];
    while (list.length) {
      const p = list.pop()!;
      clearTimeout(p.timer);
      if (!list.length) this.parked.delete(key);
      if (!(p.conn.idle && (await p.conn.stillTrusted()))) {
        void this.close(p.conn);
        continue;
      }
      if (lock) p.conn.lockPipelined(lock);
      return { conn: p.conn, unproven: true };
    }
    return { conn: await this.connect(target, lock), unproven: false };
  }

  private async connect(target: SshTarget, lock: RunLock | undefined): Promise<SshConnection> {
    const conn = await SshConnection.connect(target);
    if (lock) conn.lockLazily(lock);
    return conn;
  }

  /** Runs a lease's command; its first one on a lent connection proves the connection (see Lease). */
  private async exec(lease: Lease, script: string, opts: ExecOptions | undefined): Promise<ExecResult> {
    if (!lease.unproven) return lease.conn.exec(script, opts);
    lease.unproven = false;
    // The host answers within this (the run lock's wait included), or the connection is dead.
    const answerMs = lease.target.connectTimeoutMs + (lease.lock ? lease.lock.waitSeconds * 1000 : 0);
    const replace = async () => {
      void this.close(lease.conn);
      lease.conn = await this.connect(lease.target, lease.lock);
    };
    if (!opts?.inline) {
      if (!(await answers(lease.conn, answerMs))) await replace();
      return lease.conn.exec(script, opts);
    }
    try {
      return await within(lease.conn.exec(script, opts), answerMs);
    } catch (e) {
      if (e instanceof HostLockedError || !(e === DEADLINE || e instanceof UnreachableError)) throw e;
      await replace();
      return lease.conn.exec(script, opts);
    }
  }

  /** An upload as a lease's first request waits until the connection is proven and holds the run lock. */
  private async upload(lease: Lease, data: Buffer, path: string): Promise<void> {
    if (lease.unproven) await this.exec(lease, ':', { inline: true });
    return lease.conn.upload(data, path);
  }

  /** Parks a connection its run gave back intact (its run lock given back first); closes one that is busy, broken or not wanted. */
  private giveBack(lease: Lease, keep: boolean): void {
    const { key, conn, persistMs } = lease;
    if (!keep || this.shuttingDown || persistMs <= 0 || !conn.idle) {
      void this.close(conn);
      return;
    }
    if (!lease.lock) return this.park(key, conn, persistMs);
    this.closing++; // the holder stays while the lock is given back
    const released = conn
      .unlock()
      .then(
        () => this.park(key, conn, persistMs),
        () => void this.close(conn),
      )
      .finally(() => {
        if (this.releasing.get(key) === released) this.releasing.delete(key);
        this.closing--;
        this.exitIfEmpty();
      });
    this.releasing.set(key, released);
  }

  private park(key: string, conn: SshConnection, persistMs: number): void {
    if (this.shuttingDown || !conn.idle) {
      void this.close(conn);
      return;
    }
    const parked: Parked = { conn, persistMs, timer: setTimeout(() => this.unpark(key, parked, true), persistMs) };
    const list = this.parked.get(key) ?? [];
    list.push(parked);
    this.parked.set(key, list);
    // A host that goes away while parked is forgotten at once, not handed to the next run.
    void conn.gone.then(() => this.unpark(key, parked, false));
  }

  private unpark(key: string, p: Parked, close: boolean): void {
    const list = this.parked.get(key);
    const i = list?.indexOf(p) ?? -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (!list!.length) this.parked.delete(key);
    clearTimeout(p.timer);
    if (close) void this.close(p.conn);
    this.exitIfEmpty();
  }

  /** Closes a connection (stopping what still runs on its host); the holder does not exit meanwhile. */
  private close(conn: SshConnection): Promise<void> {
    this.closing++;
    return conn.close().finally(() => {
      this.closing--;
      this.exitIfEmpty();
    });
  }

  private dropParked(): number {
    let n = 0;
    for (const [key, list] of [...this.parked]) {
      for (const p of [...list]) {
        this.unpark(key, p, true);
        n++;
      }
    }
    return n;
  }
}
