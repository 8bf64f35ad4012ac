import { join, resolve } from 'node:path';

/** --history FILE, --no-history (false), or neither (undefined). */
export type HistoryFlag = string | boolean | undefined;

export const DEFAULT_HISTORY = join('.fabric', 'history.sqlite');

/**
 * Where this run's history lives, or undefined when it is off. --no-history and --history FILE win
 * over FABRIC_HISTORY (a path, or `off`), which wins over `.fabric/history.sqlite` in the current
 * directory: the directory fabric is run from is the project (as for inventory/ and playbooks/).
 */
export function historyPath(flag: HistoryFlag, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (flag === false) return undefined;
  if (typeof flag === 'string') return resolve(cwd, flag);
  const fromEnv = env.FABRIC_HISTORY?.trim();
  if (fromEnv && ['off', '0', 'false', 'no'].includes(fromEnv.toLowerCase())) return undefined;
  if (fromEnv) return resolve(cwd, fromEnv);
  return resolve(cwd, DEFAULT_HISTORY);
}
