import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../connection/local.js';
import { UnreachableError, type Connection } from '../connection/types.js';
import type { Vars } from '../modules/types.js';

export interface PoolOptions {
  connectTimeoutMs: number;
  acceptNewHostKeys: boolean;
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
}

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

  private async connect(t: HostTarget): Promise<Connection> {
    if (t.connection === 'local') return this.wrapped(new LocalConnection(t.host));
    if (process.env.FABRIC_REQUIRE_PROXY === '1' && !t.proxyCommand && !/^(127\.|localhost$|::1$)/.test(t.address)) {
      // Test safety net: only loopback and lab (proxied) hosts may be contacted.
      throw new UnreachableError(t.host, `refusing to connect to ${t.address} directly (FABRIC_REQUIRE_PROXY=1)`);
    }
    // Imported on first use: ssh2 is the heaviest import, and a run that stops at validation
    // (exit 5), lists its plan or uses only local hosts never needs it.
    const { SshConnection } = await import('../connection/ssh.js');
    const c = await SshConnection.connect({
      host: t.host,
      address: t.address,
      port: t.port,
      user: t.user,
      keyFile: t.keyFile,
      knownHostsFile: t.knownHostsFile,
      acceptNewHostKeys: this.opts.acceptNewHostKeys,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      proxyCommand: t.proxyCommand,
    });
    return this.wrapped(c);
  }

  private wrapped(c: Connection): Connection {
    return this.opts.wrap ? this.opts.wrap(c) : c;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}
