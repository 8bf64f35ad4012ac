import { execFile } from 'node:child_process';
import type { GitState } from './store.js';

function git(dir: string, args: string[]): Promise<string | undefined> {
  return new Promise((res) => {
    execFile('git', ['-C', dir, ...args], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => res(err ? undefined : stdout));
  });
}

/**
 * The commit and dirty state of the repository holding dir, or null outside one (or without git).
 * Started when the run starts, so it costs no wall-clock time unless git is slower than the run.
 * Dirty means uncommitted changes to tracked files: an untracked file (the history itself) is not.
 */
export async function gitState(dir: string): Promise<GitState | null> {
  const root = (await git(dir, ['rev-parse', '--show-toplevel']))?.trim();
  if (!root) return null;
  const [head, status] = await Promise.all([git(dir, ['rev-parse', '--verify', '-q', 'HEAD']), git(dir, ['status', '--porcelain', '--untracked-files=no'])]);
  return { root, commit: head?.trim() || null, dirty: status === undefined ? false : status.trim() !== '' };
}
