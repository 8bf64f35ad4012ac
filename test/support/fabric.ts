import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FABRIC_BIN = join(REPO, 'bin', 'fabric');

export interface FabricRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (compiled dist/) as a user would; never through a shell. No run history unless opts.env sets FABRIC_HISTORY (tests never write into the repository). */
export function runFabric(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<FabricRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FABRIC_BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, FABRIC_REQUIRE_PROXY: '1', FABRIC_HISTORY: 'off', ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Parses Ansible's recap lines into host → counters. */
export function recap(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const re = /^(\S+)\s+:\s+(ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=\d+\s+skipped=\d+\s+rescued=\d+\s+ignored=\d+)\s*$/gm;
  for (const m of stdout.replace(/\x1b\[[0-9;]*m/g, '').matchAll(re)) {
    out[m[1]!] = Object.fromEntries(m[2]!.split(/\s+/).map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])]));
  }
  return out;
}

/**
 * Runs fabric on a pseudo-terminal (script(1)) of a real size, so the live view draws. answer:
 * typed on the terminal once the output shows `when` (a question).
 */
export function runFabricOnTty(args: string[], answer?: { when: string; type: string }): Promise<FabricRun> {
  const cmd = ['stty cols 120 rows 40;', 'exec', process.execPath, FABRIC_BIN, ...args].map((a, i) => (i < 2 ? a : `'${a}'`)).join(' ');
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, FABRIC_REQUIRE_PROXY: '1', FABRIC_HISTORY: 'off', TERM: 'xterm-256color' };
    delete env.CI;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (answer && !typed && stdout.includes(answer.when)) {
        typed = true;
        child.stdin.write(answer.type);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
