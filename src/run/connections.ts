import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalConnection } from '../connection/local.js';
import type { RunLock } from '../connection/run-lock.js';
import { defaultKey, type SshTarget } from '../connection/ssh-target.js';
import { UnreachableError, type Connection } from '../connection/types.js';
import type { Vars } from '../modules/types.js';

export interface PoolOptions {
  connectTimeoutMs: number;
  acceptNewHostKeys: boolean;
  /** The run lock taken on every SSH host (undefined: none, as for check runs; README: Run lock). */
  lock?: RunLock;
  /** Wraps every new connection (tests count round trips through it). */
  wrap?: (c: Connection) => Connection;
}

export interface HostTarget {
  host: string;
  connection: 'ssh' | 'local';
  address: string;
  port: number;
  user: string;
  keyFile?: string;
  knownHostsFile: string;
  proxyCommand?: string[];
  /** Seconds the connection holder keeps the connection after the run (0: no holder, close with the run). */
  persist: number;
}

/** Like Ansible's ControlPersist=60s: a rerun within a minute skips the SSH handshake. */
export const DEFAULT_PERSIST_SECONDS = 60;

/** Reads the fabric_* connection variables of a host (already merged and rendered). */
export function hostTarget(host: string, v: Vars): HostTarget {
  return {
    host,
    connection: v.fabric_connection === 'local' ? 'local' : 'ssh',
    address: String(v.fabric_host ?? host),
    port: Number(v.fabric_port ?? 22),
    user: String(v.fabric_user ?? process.env.USER ?? 'root'),
    keyFile: v.fabric_ssh_key ? String(v.fabric_ssh_key) : undefined,
    knownHostsFile: v.fabric_known_hosts ? String(v.fabric_known_hosts) : join(homedir(), '.ssh', 'known_hosts'),
    proxyCommand: Array.isArray(v.fabric_proxy_command) ? v.fabric_proxy_command.map(String) : undefined,
    persist: Number(v.fabric_ssh_persist ?? process.env.FABRIC_SSH_PERSIST ?? DEFAULT_PERSIST_SECONDS),
  };
}

/** One connection per host for the whole run, opened on first use; a failure is remembered. */
export class ConnectionPool {
  private readonly open = new Map<string, Promise<Connection>>();

  constructor(private readonly opts: PoolOptions) {}

  get(t: HostTarget): Promise<Connection> {
    let p = this.open.get(t.host);
    if (!p) {
      p = this.connect(t);
      this.open.set(t.host, p);
    }
    return p;
  }

  /**
   * The host's connection, opened now if it is not open or its last attempt failed (fresh: the
   * open one is closed first, as after a reboot). A failed attempt is not remembered, so the
   * caller may try again (reboot, wait_for_connection).
   */
  async reopen(t: HostTarget, o: { connectTimeoutMs?: number; fresh?: boolean } = {}): Promise<Connection> {
    if (o.fresh) await this.reset(t.host);
    const open = this.open.get(t.host);
    if (open) {
      const c = await open.catch(() => undefined);
      if (c) return c;
      if (this.open.get(t.host) === open) this.open.delete(t.host);
    }
    const p = this.connect(t, o.connectTimeoutMs);
    this.open.set(t.host, p);
    try {
      return await p;
    } catch (e) {
      if (this.open.get(t.host) === p) this.open.delete(t.host);
      throw e;
    }
  }

  private async connect(t: HostTarget, connectTimeoutMs = this.opts.connectTimeoutMs): Promise<Connection> {
    if (t.connection === 'local') return this.wrapped(new LocalConnection(t.host));
    if (process.env.FABRIC_REQUIRE_PROXY === '1' && !t.proxyCommand && !/^(127\.|localhost$|::1$)/.test(t.address)) {
      // Test safety net: only loopback and lab (proxied) hosts may be contacted.
      throw new UnreachableError(t.host, `refusing to connect to ${t.address} directly (FABRIC_REQUIRE_PROXY=1)`);
    }
    if (!(t.persist >= 0)) throw new UnreachableError(t.host, 'fabric_ssh_persist (or FABRIC_SSH_PERSIST) must be a number of seconds, 0 to turn it off');
    // The key, agent and files as this run sees them: a holder started from elsewhere reads the same ones.
    const keyFile = t.keyFile ? resolve(t.keyFile) : process.env.SSH_AUTH_SOCK ? undefined : defaultKey();
    const target: SshTarget = {
      host: t.host,
      address: t.address,
      port: t.port,
      user: t.user,
      keyFile,
      agent: keyFile ? undefined : process.env.SSH_AUTH_SOCK,
      knownHostsFile: resolve(t.knownHostsFile),
      acceptNewHostKeys: this.opts.acceptNewHostKeys,
      connectTimeoutMs,
      proxyCommand: t.proxyCommand,
      cwd: t.proxyCommand ? process.cwd() : undefined,
    };
    if (t.persist > 0) {
      const { HeldConnection } = await import('../connection/held.js');
      const held = await HeldConnection.open(target, t.persist * 1000, this.opts.lock);
      if (held) return this.wrapped(held);
    }
    // Imported on first use: ssh2 is the heaviest import, and a run that stops at validation
    // (exit 5), lists its plan, uses only local hosts or a connection holder never needs it.
    const { SshConnection } = await import('../connection/ssh.js');
    const c = await SshConnection.connect(target);
    if (this.opts.lock) c.lockLazily(this.opts.lock);
    return this.wrapped(c);
  }

  private wrapped(c: Connection): Connection {
    return this.opts.wrap ? this.opts.wrap(c) : c;
  }

  /** Closes the host's connection for good (not parked for a later run); the next get() opens a new one. */
  async reset(host: string): Promise<void> {
    const p = this.open.get(host);
    this.open.delete(host);
    await p?.then((c) => c.close({ drop: true })).catch(() => undefined);
  }

  /** Forgets a failed connection attempt, so the next task tries again (ignore_unreachable). */
  forget(host: string): void {
    this.open.delete(host);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}
