import type { LinkConditions } from './links.js';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { alive, sleep } from './proc.js';
import type { Topology } from './topology.js';

export interface LabOptions {
  repoRoot: string;
  name?: string;
  topologyFile?: string;
  hosts?: number;
  /** --delay/--loss on the controller's SSH path (src/lab/links.ts). */
  links?: LinkConditions;
}

/** Where a lab keeps its things: everything below dir is the lab's and goes with `down`. */
export interface LabPaths {
  labsDir: string;
  dir: string;
  key: string;
  knownHosts: string;
  stateFile: string;
  pidsFile: string;
  stage1: string;
  supervisor: string;
  hostDir: (host: string) => string;
}

export function labPaths(repoRoot: string, name: string): LabPaths {
  const labsDir = join(resolve(repoRoot), '.lab');
  const dir = join(labsDir, name);
  return {
    labsDir,
    dir,
    key: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    stateFile: join(dir, 'state.json'),
    pidsFile: join(dir, 'pids'),
    stage1: join(dir, 'stage1.sh'),
    supervisor: join(dir, 'supervise.sh'),
    hostDir: (host) => join(dir, 'hosts', host),
  };
}

/** What `up` recorded; `down` does not depend on it (it finds leftovers by prefix too). */
export interface LabState {
  topology: Topology;
  inventoryPath: string;
  proxyCommand: string[];
  startedAt: string;
}

export async function readState(p: LabPaths): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(p.stateFile, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/**
 * One `up`/`down` of a lab at a time (tests and a developer may race): an exclusive lock
 * file holding our pid; a lock whose owner is gone is taken over.
 */
export async function withLabLock<T>(p: LabPaths, name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(p.labsDir, { recursive: true });
  const lock = join(p.labsDir, `.${name}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue;
      }
      if (!owner || !(await alive(owner))) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lab ${name} is busy: process ${owner} holds ${lock}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
