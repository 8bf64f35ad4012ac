import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { ShellSession } from './shell-session.js';
import { UnreachableError, type Connection, type ConnectionStats, type ExecOptions, type ExecResult } from './types.js';

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `fabric_connection: local`: the same long-lived-shell protocol, on the controller. */
export class LocalConnection implements Connection {
  readonly stats: ConnectionStats = { execs: 0, uploads: 0 };
  private readonly session: ShellSession;

  constructor(readonly host: string) {
    this.session = new ShellSession(
      async () => {
        // Own process group, so a timeout kills the hung command too, not just the shell.
        const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
        const closed = new Promise<string>((res) => {
          child.on('exit', (code, sig) => res(`local shell exited (${sig ?? code})`));
          child.on('error', (e) => res(e.message));
        });
        return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, kill: () => killGroup(child.pid), closed };
      },
      (why) => new UnreachableError(host, why),
    );
  }

  exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stats.execs++;
    return this.session.exec(script, opts);
  }

  async upload(content: Buffer, remotePath: string): Promise<void> {
    this.stats.uploads++;
    await writeFile(remotePath, content);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
