import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection } from '../../src/connection/ssh.js';

/** A real OpenSSH server on 127.0.0.1 for integration tests (root login by key only). */
export interface TestSshd {
  port: number;
  keyFile: string;
  knownHostsFile: string;
  dir: string;
  /** The sshd process, so a test can break connections for real. */
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startTestSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-sshd-'));
  const keyFile = join(dir, 'id_ed25519');
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fabric-test', '-f', file]);
  keygen(keyFile);
  keygen(hostKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${keyFile}.pub`), { mode: 0o600 });
  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
      'Subsystem sftp internal-sftp',
      'MaxSessions 50',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);

  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; !(await canConnect(port)); i++) {
    if (gone || i > 100) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`test sshd did not start: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    keyFile,
    knownHostsFile,
    dir,
    child,
    async stop() {
      if (!gone) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<TestSshd> | undefined;

/** One sshd per test file (vitest runs integration files one at a time); stopped by stopTestSshd. */
export function testSshd(): Promise<TestSshd> {
  shared ??= startTestSshd();
  return shared;
}

export async function stopTestSshd(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}

export async function connectTestSsh(sshd?: TestSshd): Promise<SshConnection> {
  const s = sshd ?? (await testSshd());
  return SshConnection.connect({
    host: 'testhost',
    address: '127.0.0.1',
    port: s.port,
    user: 'root',
    keyFile: s.keyFile,
    knownHostsFile: s.knownHostsFile,
    acceptNewHostKeys: false,
    connectTimeoutMs: 10000,
  });
}
