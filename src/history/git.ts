import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GitState } from './store.js';

/** The work tree holding dir: the nearest directory with a .git (a directory, or a worktree's file). */
export function gitRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * The commit and dirty state of the repository holding dir, or null outside one (or without git).
 * One git process, started when the run starts, so it costs no wall-clock time unless git is
 * slower than the run. Dirty means uncommitted changes to tracked files: an untracked file (the
 * history itself) is not.
 */
export function gitState(dir: string): Promise<GitState | null> {
  const root = gitRoot(dir);
  if (!root) return Promise.resolve(null);
  return new Promise((res) => {
    execFile('git', ['-C', dir, 'status', '--porcelain=v2', '--branch', '--untracked-files=no'], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return res(null);
      const lines = stdout.split('\n').filter(Boolean);
      const oid = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
      res({ root, commit: oid && oid !== '(initial)' ? oid : null, dirty: lines.some((l) => !l.startsWith('#')) });
    });
  });
}
