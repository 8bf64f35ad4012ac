import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { ShellSession } from '../../src/connection/shell-session.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { HostKeyError, UnreachableError, type Connection } from '../../src/connection/types.js';
import { quote, shellJoin } from '../../src/quote.js';
import { connectTestSsh, startTestSshd, type TestSshd } from '../support/sshd.js';

let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startTestSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

const transports: [string, () => Promise<Connection>][] = [
  ['ssh', () => connectTestSsh(sshd)],
  ['local', async () => new LocalConnection('local')],
];

describe.each(transports)('%s connection', (_name, open) => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await open();
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('separates rc, stdout and stderr', async () => {
    const r = await conn.exec('echo out; echo err >&2; exit 7');
    expect(r).toEqual({ rc: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('survives `exit 3` and keeps no cd between commands', async () => {
    const home = (await conn.exec('pwd')).stdout;
    expect((await conn.exec('cd /usr/share; exit 3')).rc).toBe(3);
    const r = await conn.exec('pwd');
    expect(r).toEqual({ rc: 0, stdout: home, stderr: '' });
  });

  it('keeps variables and set -e from leaking', async () => {
    await conn.exec('FAB_LEAK=yes; set -e; false');
    const r = await conn.exec('echo "[${FAB_LEAK-}]"; false; echo still');
    expect(r.stdout).toBe('[]\nstill\n');
  });

  it('returns output without a trailing newline exactly', async () => {
    const r = await conn.exec("printf 'no newline'; printf 'e2' >&2");
    expect(r).toEqual({ rc: 0, stdout: 'no newline', stderr: 'e2' });
  });

  it('closes stdin so a command reading it does not hang', async () => {
    const r = await conn.exec('cat; echo done', { timeoutMs: 5000 });
    expect(r).toEqual({ rc: 0, stdout: 'done\n', stderr: '' });
  });

  it('carries 1 MB of output intact', async () => {
    const r = await conn.exec("head -c 1048576 /dev/zero | tr '\\0' 'x'; echo; echo tail");
    expect(r.rc).toBe(0);
    expect(r.stdout.length).toBe(1048576 + 1 + 5);
    expect(r.stdout.endsWith('x\ntail\n')).toBe(true);
    expect(/^x+$/.test(r.stdout.slice(0, 1048576))).toBe(true);
  });

  it('runs queued commands in order and counts them', async () => {
    const before = conn.stats.execs;
    const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => conn.exec(`echo ${i}`)));
    expect(rs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
    expect(conn.stats.execs - before).toBe(5);
  });

  it('keeps hostile arguments literal', async () => {
    const dir = (await conn.exec('mktemp -d')).stdout.trim();
    const marker = join(dir, 'pwned');
    const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `a\nb`, '-n', '"$HOME"'];
    const r = await conn.exec(`printf '%s\\0' ${shellJoin(hostile)}`);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect((await conn.exec(`test -e ${marker}`)).rc).toBe(1);
    await conn.exec(`rm -rf ${dir}`);
  });

  it('replaces a hung shell after a timeout', async () => {
    const r = await conn.exec('echo started; sleep 30', { timeoutMs: 500 });
    expect(r.rc).toBe(124);
    expect(r.stdout).toBe('started\n');
    expect(r.stderr).toMatch(/timed out after 500 ms/);
    const next = await conn.exec('echo fresh');
    expect(next).toEqual({ rc: 0, stdout: 'fresh\n', stderr: '' });
  });

  it('kills the timed-out command, not just its shell', async () => {
    // A unique sleep that would outlive the test by far unless the timeout kills it.
    const hung = `sleep 900.${Math.floor(Math.random() * 1e6)}`;
    const r = await conn.exec(hung, { timeoutMs: 300 });
    expect(r.rc).toBe(124);
    const running = async () => (await conn.exec(`ps -eo args | grep -cx ${quote(hung)}`)).stdout.trim();
    let left = await running();
    for (let i = 0; i < 100 && left !== '0'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      left = await running();
    }
    expect(left).toBe('0');
  });

  it('uploads bytes exactly', async () => {
    const dir = (await conn.exec('mktemp -d')).stdout.trim();
    const data = Buffer.from([0, 1, 2, 255, 10, 13, 0x1f]);
    const before = conn.stats.uploads;
    await conn.upload(data, `${dir}/f`);
    expect(conn.stats.uploads - before).toBe(1);
    expect((await conn.exec(`od -An -tu1 ${dir}/f | tr -s ' ' | sed 's/^ //'`)).stdout.trim()).toBe('0 1 2 255 10 13 31');
    await conn.exec(`rm -rf ${dir}`);
  });
});

describe('shell session', () => {
  it('ignores login noise before the shell announces its pid', async () => {
    // A login shell whose rc file prints text before our protocol starts (as some .bashrc files do).
    const session = new ShellSession(
      async () => {
        const child = spawn('/bin/sh', ['-c', 'echo "Welcome to host"; exec /bin/sh'], { stdio: ['pipe', 'pipe', 'pipe'] });
        const closed = new Promise<string>((res) => child.on('exit', () => res('exited')));
        return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, kill: () => child.kill('SIGKILL'), closed, killGroupFromNextShell: true };
      },
      (why) => new Error(why),
    );
    try {
      expect(await session.exec('echo first', { timeoutMs: 10000 })).toEqual({ rc: 0, stdout: 'first\n', stderr: '' });
      expect((await session.exec('echo second')).stdout).toBe('second\n');
    } finally {
      await session.close();
    }
  });
});

describe('ssh connection errors', () => {
  it('refuses an unknown host key when not accepting new keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-kh-'));
    try {
      const p = SshConnection.connect({
        host: 'testhost',
        address: '127.0.0.1',
        port: sshd.port,
        user: 'root',
        keyFile: sshd.keyFile,
        knownHostsFile: join(dir, 'known_hosts'),
        acceptNewHostKeys: false,
        connectTimeoutMs: 10000,
      });
      await expect(p).rejects.toBeInstanceOf(HostKeyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('learns a new host key when told to, then trusts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-kh-'));
    const kh = join(dir, 'known_hosts');
    try {
      const target = { host: 'testhost', address: '127.0.0.1', port: sshd.port, user: 'root', keyFile: sshd.keyFile, knownHostsFile: kh, connectTimeoutMs: 10000 };
      const c1 = await SshConnection.connect({ ...target, acceptNewHostKeys: true });
      await c1.close();
      expect(readFileSync(kh, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
      const c2 = await SshConnection.connect({ ...target, acceptNewHostKeys: false });
      expect((await c2.exec('echo ok')).stdout).toBe('ok\n');
      await c2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a refused port as unreachable', async () => {
    const p = SshConnection.connect({
      host: 'nowhere',
      address: '127.0.0.1',
      port: 1,
      user: 'root',
      keyFile: sshd.keyFile,
      knownHostsFile: sshd.knownHostsFile,
      acceptNewHostKeys: false,
      connectTimeoutMs: 3000,
    });
    await expect(p).rejects.toBeInstanceOf(UnreachableError);
  });

  it('rejects a pending command with UnreachableError when the connection dies', async () => {
    const conn = await connectTestSsh(sshd);
    const pid = Number((await conn.exec('echo $PPID')).stdout.trim());
    // $PPID of our shell is the per-connection sshd process: kill it to cut the connection for real.
    const p = conn.exec(`sleep 20`);
    process.kill(pid, 'SIGKILL');
    await expect(p).rejects.toBeInstanceOf(UnreachableError);
    await expect(conn.exec('echo again')).rejects.toBeInstanceOf(UnreachableError);
    await conn.close();
    expect(existsSync(sshd.knownHostsFile)).toBe(true);
  });
});
