import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { keyType, knownHostsName, knownKeys, readShared, rememberKey, type KnownKey } from './known-hosts.js';
import { launchProxy } from './proxy-launcher.js';
import { shellJoin } from '../quote.js';
import { breakScript, HostLockedError, LOCK_ANSWER, lockRefusal, lockScript, staleHolder, UNLOCK_SCRIPT, type RunLock } from './run-lock.js';
import { ShellSession, type ShellPipes } from './shell-session.js';
import type { SshTarget } from './ssh-target.js';
import {
  HostKeyError,
  UnreachableError,
  type Connection,
  type ConnectionStats,
  type ExecOptions,
  type ExecResult,
} from './types.js';

/** Keepalive every 5 s, 3 misses: a dead host is declared unreachable within about 15 s. */
const KEEPALIVE_MS = 5000;
const KEEPALIVE_MISSES = 3;

/** The proxy argv with OpenSSH's %h and %p tokens filled in. */
function proxyArgv(argv: string[], t: SshTarget): string[] {
  return argv.map((a) => a.replace(/%h/g, t.address).replace(/%p/g, String(t.port)));
}

/** SSH handshakes in flight at once: more only queue on the hosts' CPU and time out. */
const MAX_HANDSHAKES = 24;
let handshakes = 0;
const waiting: (() => void)[] = [];

/** Waits for a handshake slot; the returned function frees it (once). */
async function handshakeSlot(): Promise<() => void> {
  if (handshakes >= MAX_HANDSHAKES) await new Promise<void>((res) => waiting.push(res));
  else handshakes++;
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    const next = waiting.shift();
    if (next) next(); // the slot passes on without changing the count
    else handshakes--;
  };
}

/** Resolves when the stream has data to read (left unread for ssh2); rejects on error, end or timeout. */
function firstByte(sock: Duplex, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.off('readable', onReadable);
      sock.off('error', done);
      sock.off('close', onClose);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve();
    };
    const onReadable = () => done();
    const onClose = () => done(new Error('the proxy command closed the connection before the SSH banner'));
    const timer = setTimeout(() => done(new Error(`no SSH banner through the proxy command within ${timeoutMs} ms`)), timeoutMs);
    sock.on('readable', onReadable);
    sock.on('error', done);
    sock.on('close', onClose);
  });
}

/** One SSH connection per host per run: a long-lived shell for commands, SFTP for files. */
export class SshConnection implements Connection {
  readonly stats: ConnectionStats = { execs: 0, uploads: 0 };
  readonly host: string;
  private readonly ssh = new NodeSSH();
  /** The ssh2 client under node-ssh: the long-lived shell's channel is opened on it. */
  private client: Client | undefined;
  /** Replaced once if a stale run lock had to be broken (its first shell ended on the refusal). */
  private session: ShellSession;
  private runLock: RunLock | undefined;
  private brokeStale = false;
  private sftp: Promise<SFTPWrapper> | undefined;
  private brokenWhy: string | undefined;
  /** Settles when the connection is gone: an SFTP write in flight never calls back then. */
  private lost: Promise<void> = new Promise(() => undefined);
  /** Commands not finished yet: close() stops them on the host (an interrupted run gave up on them). */
  private inFlight = 0;
  /** Remote files an SFTP write is filling: close() removes them when it stops the write. */
  private readonly uploading = new Set<string>();
  /** The host key this connection was verified with. */
  private hostKey: KnownKey | undefined;

  private constructor(private readonly target: SshTarget) {
    this.host = target.host;
    this.session = this.newSession();
  }

  private newSession(): ShellSession {
    return new ShellSession(
      () => this.openShell(),
      (why) => new UnreachableError(this.host, this.brokenWhy ?? why),
    );
  }

  static async connect(target: SshTarget): Promise<SshConnection> {
    const c = new SshConnection(target);
    await c.handshake();
    return c;
  }

  private async handshake(): Promise<void> {
    const t = this.target;
    const name = knownHostsName(t.address, t.port);
    const recorded = await knownKeys(t.knownHostsFile, name);
    const known = recorded.filter((k) => !k.revoked);
    let refused: string | undefined;
    let learned: KnownKey | undefined;
    const keyFile = t.keyFile;
    let release: (() => void) | undefined;
    try {
      const privateKey = keyFile ? await readShared(keyFile) : undefined;
      // Proxies asked for in the same turn start together (see proxy-launcher.ts).
      const sock = t.proxyCommand ? await launchProxy(proxyArgv(t.proxyCommand, t), t.cwd) : undefined;
      // Proxies start all at once (cheap); handshakes (sshd's CPU) a bounded number at a time,
      // each timed from its own start.
      release = await handshakeSlot();
      if (sock) await firstByte(sock, t.connectTimeoutMs);
      await this.ssh.connect({
        host: t.address,
        port: t.port,
        username: t.user,
        privateKey: privateKey?.toString(),
        agent: keyFile ? undefined : t.agent,
        // Straight to the one method we have: ssh2 otherwise asks with `none` first (a round trip).
        authHandler: [keyFile ? 'publickey' : 'agent'],
        readyTimeout: t.connectTimeoutMs,
        keepaliveInterval: KEEPALIVE_MS,
        keepaliveCountMax: KEEPALIVE_MISSES,
        sock,
        // Offer only the key types we know for this host, so a host with several keys is judged on a known one.
        algorithms: known.length ? { serverHostKey: [...new Set(known.map((k) => k.type))] as never } : undefined,
        hostVerifier: (key: Buffer) => {
          const seen: KnownKey = { type: keyType(key), blob: key.toString('base64') };
          if (recorded.some((k) => k.revoked && k.blob === seen.blob)) {
            refused = `host key for ${t.host} (${name}) is REVOKED in ${t.knownHostsFile}: refusing to connect`;
            return false;
          }
          if (known.some((k) => k.blob === seen.blob)) {
            this.hostKey = seen;
            return true;
          }
          if (known.length) {
            refused = `host key for ${t.host} (${name}) has CHANGED: refusing to connect (possible impersonation); fix ${t.knownHostsFile}`;
            return false;
          }
          if (!t.acceptNewHostKeys) {
            refused = `host key for ${t.host} (${name}) is unknown: not in ${t.knownHostsFile} (run with --accept-new-host-keys to trust it)`;
            return false;
          }
          learned = seen;
          this.hostKey = seen;
          return true;
        },
      });
      this.client = this.ssh.connection ?? undefined;
    } catch (e) {
      release?.();
      this.ssh.dispose();
      this.client = undefined;
      if (refused) throw new HostKeyError(t.host, refused);
      throw new UnreachableError(t.host, `cannot connect to ${t.user}@${name}: ${(e as Error).message}`);
    }
    release?.();
    if (learned) await rememberKey(t.knownHostsFile, name, learned);
    const client = this.client!;
    client.on('error', (e: Error) => (this.brokenWhy ??= `connection to ${t.host} lost: ${e.message}`));
    client.on('close', () => {
      this.brokenWhy ??= `connection to ${t.host} closed`;
      this.client = undefined;
    });
    this.lost = new Promise((res) => client.once('close', () => res()));
  }

  private openShell(): Promise<ShellPipes> {
    const client = this.client;
    if (!client || this.brokenWhy) return Promise.reject(new UnreachableError(this.host, this.brokenWhy ?? 'not connected'));
    return new Promise((resolve, reject) => {
      client.exec('exec /bin/sh', (err: Error | undefined, ch: ClientChannel) => {
        if (err) return reject(new UnreachableError(this.host, `cannot open a shell on ${this.host}: ${err.message}`));
        const closed = new Promise<string>((res) => {
          ch.on('close', () => res(this.brokenWhy ?? `shell on ${this.host} closed`));
          client.once('close', () => res(this.brokenWhy ?? `connection to ${this.host} closed`));
        });
        // Closing the channel leaves a hung command running (sshd refuses signal requests for root
        // sessions without privsep): the session kills the shell's process group from the next shell.
        resolve({ stdin: ch, stdout: ch, stderr: ch.stderr, kill: () => ch.close(), closed, killGroupFromNextShell: true });
      });
    });
  }

  /** Resolves when the transport is gone (the host closed it, or it broke). */
  get gone(): Promise<void> {
    return this.lost;
  }

  /** Connected, and no command or upload of a previous user still running: a holder may lend it again. */
  get idle(): boolean {
    return !!this.client && !this.brokenWhy && !this.session.ended && this.inFlight === 0 && this.uploading.size === 0;
  }

  /**
   * Takes the run lock in the shell before its first command, pipelined (no round trip of its
   * own); when another run holds it, the first command fails with HostLockedError. Every shell
   * this connection opens later (after a timeout) takes it again.
   */
  lockLazily(l: RunLock, before = ''): void {
    this.runLock = l;
    this.session.setPrelude({ script: before + lockScript(l, this.host), answer: LOCK_ANSWER, judge: (a) => lockRefusal(this.host, a, l) });
  }

  /**
   * A lock a dead run of this controller left (see staleHolder) is broken once per run's use of the connection:
   * a new shell kills the stale one's process group, then takes the lock. True: try again.
   */
  private breakStale(e: unknown): boolean {
    const l = this.runLock;
    const stale = l && !this.brokeStale && e instanceof HostLockedError ? staleHolder(e, l) : undefined;
    if (!l || !stale) return false;
    this.brokeStale = true;
    if (this.session.ended) this.session = this.newSession();
    this.lockLazily(l, `${breakScript(stale)}\n`);
    return true;
  }

  /**
   * A lent connection takes the run lock in the shell it already runs, pipelined ahead of its next
   * command: no round trip of its own. When another run holds the host, that command fails with
   * HostLockedError and the shell ends (exec breaks a stale lock of this controller's dead run).
   */
  lockPipelined(l: RunLock): void {
    this.lockLazily(l);
    this.session.preludeNow();
  }

  /** Gives the run lock back and keeps the shell (the holder parks the connection). */
  async unlock(): Promise<void> {
    this.session.setPrelude(undefined);
    this.brokeStale = false; // once per lease, not once for a connection parked across many runs
    if (this.session.running) await this.session.exec(UNLOCK_SCRIPT, { inline: true, timeoutMs: this.target.connectTimeoutMs });
  }

  /**
   * Whether the key this connection was verified with is still trusted by its known_hosts file:
   * a holder asks before lending it again, so a key revoked or removed meanwhile is not bypassed.
   */
  async stillTrusted(): Promise<boolean> {
    const seen = this.hostKey;
    if (!seen) return false;
    const recorded = await knownKeys(this.target.knownHostsFile, knownHostsName(this.target.address, this.target.port));
    if (recorded.some((k) => k.revoked && k.blob === seen.blob)) return false;
    return recorded.some((k) => !k.revoked && k.blob === seen.blob);
  }

  async exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stats.execs++;
    this.inFlight++;
    try {
      try {
        return await this.session.exec(script, opts);
      } catch (e) {
        // The refused shell exited before reading this command: it never ran; run it behind the break.
        if (!this.breakStale(e)) throw e;
        const r = await this.session.exec(script, opts);
        // Later shells (after a timeout) take the lock without the break: that pid may be anyone's by then.
        this.lockLazily(this.runLock!);
        return r;
      }
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Kills the process groups of this connection's other sessions on the host (sshd makes each a
   * group leader under the connection's sshd process, our $PPID): closing a channel does not
   * end its command, and sshd refuses signal requests for root sessions.
   */
  private stopRemoteCommands(): Promise<void> {
    const client = this.client;
    if (!client || this.brokenWhy) return Promise.resolve();
    const partial = this.uploading.size ? `; rm -f -- ${shellJoin([...this.uploading])}` : '';
    const script = `for p in $(ps -o pid= --ppid "$PPID"); do [ "$p" = "$$" ] || kill -s KILL -- "-$p"; done 2>/dev/null${partial}; true`;
    const done = new Promise<void>((resolve) => {
      client.exec(script, (err, ch) => {
        if (err) return resolve();
        ch.on('close', () => resolve());
        ch.resume();
        ch.stderr.resume();
      });
    });
    return Promise.race([done, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
  }

  async upload(content: Buffer, remotePath: string): Promise<void> {
    this.stats.uploads++;
    if (this.brokenWhy) throw new UnreachableError(this.host, this.brokenWhy);
    // Nothing is written on a host before its run lock is taken (it is taken by the first shell).
    if (this.runLock && !this.session.running) await this.exec(':', { inline: true });
    const broken = () => new UnreachableError(this.host, this.brokenWhy ?? `connection to ${this.host} closed`);
    this.sftp ??= this.client ? this.ssh.requestSFTP() : Promise.reject(broken());
    const lost = this.lost.then(() => Promise.reject(broken()));
    const sftp = await Promise.race([this.sftp, lost]);
    const write = new Promise<void>((resolve, reject) =>
      sftp.writeFile(remotePath, content, (err) => (err ? reject(this.brokenWhy ? broken() : err) : resolve())),
    );
    this.uploading.add(remotePath);
    try {
      await Promise.race([write, lost]);
    } finally {
      this.uploading.delete(remotePath);
    }
  }

  async close(): Promise<void> {
    if (this.inFlight > 0 || this.uploading.size > 0) await this.stopRemoteCommands();
    await this.session.close();
    this.client?.end();
    this.client = undefined;
  }
}
