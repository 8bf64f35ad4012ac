import type { Server, Socket } from 'node:net';
import { readMessages, send, toWire, type HolderReply, type HolderRequest } from './holder-protocol.js';
import { HostLockedError, type RunLock } from './run-lock.js';
import { SshConnection } from './ssh.js';
import { targetKey, type SshTarget } from './ssh-target.js';

/** With nothing parked and no client, the holder exits after this long. */
const EXIT_WHEN_EMPTY_MS = 1000;

/**
 * One no-fork round trip through the held shell: a connection whose host went away a moment ago
 * (its close not seen yet) is replaced here instead of failing the run's first task.
 */
async function answers(conn: SshConnection, timeoutMs: number): Promise<boolean> {
  try {
    return (await conn.exec(':', { inline: true, timeoutMs })).rc === 0;
  } catch {
    return false;
  }
}

interface Parked {
  conn: SshConnection;
  persistMs: number;
  timer: NodeJS.Timeout;
}

interface Lease {
  key: string;
  conn: SshConnection;
  persistMs: number;
  /** The run lock was taken for this lease: given back before the connection is parked. */
  locked: boolean;
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
            .then((conn) => {
              lease = { key: targetKey(m.target), conn, persistMs: m.persistMs, locked: !!m.lock };
              if (sock.destroyed) return this.giveBack(lease, false);
              reply({ id: m.id, ok: true });
            })
            .catch((e: unknown) => fail(m.id, e));
          return;
        case 'exec':
          if (!lease) return fail(m.id, new Error('no connection opened on this socket'));
          lease.conn.exec(m.script, m.opts).then((result) => reply({ id: m.id, ok: true, result }), (e: unknown) => fail(m.id, e));
          return;
        case 'upload':
          if (!lease) return fail(m.id, new Error('no connection opened on this socket'));
          lease.conn.upload(Buffer.from(m.data, 'base64'), m.path).then(() => reply({ id: m.id, ok: true }), (e: unknown) => fail(m.id, e));
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
   * An idle parked connection for the same target whose host key is still trusted, else a new
   * one; with lock, holding the run lock (a parked one takes it in the round trip that proves it
   * answers; a new one before its first command). A host another run holds stays parked.
   */
  private async lease(target: SshTarget, lock: RunLock | undefined): Promise<SshConnection> {
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
      if (!lock) {
        if (await answers(p.conn, target.connectTimeoutMs)) return p.conn;
        void this.close(p.conn);
        continue;
      }
      try {
        await p.conn.lock(lock);
        return p.conn;
      } catch (e) {
        if (e instanceof HostLockedError && p.conn.idle) this.park(key, p.conn, p.persistMs);
        else void this.close(p.conn);
        if (e instanceof HostLockedError) throw e;
      }
    }
    const conn = await SshConnection.connect(target);
    if (lock) conn.lockLazily(lock);
    return conn;
  }

  /** Parks a connection its run gave back intact (its run lock given back first); closes one that is busy, broken or not wanted. */
  private giveBack(lease: Lease, keep: boolean): void {
    const { key, conn, persistMs } = lease;
    if (!keep || this.shuttingDown || persistMs <= 0 || !conn.idle) {
      void this.close(conn);
      return;
    }
    if (!lease.locked) return this.park(key, conn, persistMs);
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
