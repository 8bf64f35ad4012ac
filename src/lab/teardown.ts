import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { deleteNamespaces, NETNS_DIR, prefixedNamespaces } from './network.js';
import { alive, innerPid, listNamespaces, mustRun, readCmdline, readComm, run, sleep } from './proc.js';
import type { LabPaths } from './state.js';

export interface DownReport {
  namespaces: string[];
  killed: number;
  unmounted: number;
  removedDir: boolean;
}

/** Mount points at or below dir in the machine's mount namespace (octal escapes decoded). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  return points.filter((m) => m === dir || m.startsWith(dir + '/'));
}

/** Programs that launch hosts from outside their namespaces (the supervisor is a bash script). */
const LAUNCHERS = new Set(['bash', 'nsenter', 'unshare']);

/**
 * The lab's processes, found without trusting a state file, so a crash or a half-finished up
 * leaves none. inner: anything in one of its network namespaces or in a host's PID namespace.
 * outer: launchers outside them (their command line names the lab's stage 1 script).
 */
async function labProcesses(p: LabPaths, netInodes: Set<number>): Promise<{ inner: number[]; outer: number[] }> {
  const procs = await listNamespaces();
  const nets = new Set([...netInodes].map((i) => `net:[${i}]`));
  const inNet = procs.filter((pr) => pr.netNs && nets.has(pr.netNs));
  const pidNs = new Set<string>();
  for (const pr of inNet) if (pr.pidNs && (await innerPid(pr.pid)) === 1) pidNs.add(pr.pidNs);
  const inner = new Set(procs.filter((pr) => inNet.includes(pr) || (pr.pidNs && pidNs.has(pr.pidNs))).map((pr) => pr.pid));
  const outer: number[] = [];
  for (const pr of procs) {
    if (inner.has(pr.pid) || !LAUNCHERS.has(await readComm(pr.pid))) continue;
    if ((await readCmdline(pr.pid)).includes(p.stage1)) outer.push(pr.pid);
  }
  return { inner: [...inner], outer };
}

async function recordedPids(p: LabPaths): Promise<number[]> {
  const text = await readFile(p.pidsFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

async function living(pids: number[]): Promise<number[]> {
  const out = [];
  for (const pid of pids) if (await alive(pid)) out.push(pid);
  return out;
}

async function waitGone(pids: number[]): Promise<void> {
  for (let i = 0; i < 100 && (await living(pids)).length; i++) await sleep(50);
}

/** Removes every namespace, process, mount and file of the lab whose namespaces start with prefix. */
export async function teardown(p: LabPaths, prefix: string, inventoryPath?: string): Promise<DownReport> {
  const namespaces = await prefixedNamespaces(prefix);
  const inodes = new Set<number>();
  for (const n of namespaces) {
    const s = await stat(`${NETNS_DIR}/${n}`).catch(() => undefined);
    if (s) inodes.add(s.ino);
  }
  let killed = 0;
  // Recorded pids count only while they still name the lab's dir (a pid may have been reused).
  const recorded = [];
  for (const pid of await recordedPids(p)) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(p.dir)) recorded.push(pid);
  }
  // Hosts first, then the supervisor: it reaps the hosts' launchers (this machine's init may not).
  for (let round = 0; round < 6; round++) {
    const { inner, outer } = await labProcesses(p, inodes);
    let live = await living(inner);
    if (!live.length) live = await living([...new Set([...outer, ...recorded])]);
    if (!live.length) break;
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    await waitGone(live);
  }
  // Deepest first, lazily: a mount still busy is detached now and freed when its last user goes.
  const mounts = (await mountsUnder(p.dir)).sort((a, b) => b.split('/').length - a.split('/').length);
  for (const m of mounts) await run(['umount', '-l', m]);
  await deleteNamespaces(namespaces);
  const left = await prefixedNamespaces(prefix);
  if (left.length) throw new Error(`could not delete namespaces ${left.join(', ')}`);
  const stillMounted = await mountsUnder(p.dir);
  if (stillMounted.length) throw new Error(`still mounted, not removing ${p.dir}: ${stillMounted.join(', ')}`);
  let removedDir = false;
  if (existsSync(p.dir)) {
    // --one-file-system: never descend into anything mounted below, whatever happened.
    await mustRun(['rm', '-rf', '--one-file-system', '--', p.dir]);
    removedDir = true;
  }
  // Only an inventory the lab wrote (it is generated and ignored by git).
  if (inventoryPath && (await readFile(inventoryPath, 'utf8').catch(() => '')).includes('fabric_lab: true')) await rm(inventoryPath, { force: true });
  return { namespaces, killed, unmounted: mounts.length, removedDir };
}
