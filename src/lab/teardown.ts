import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { deleteNamespaces, NETNS_DIR, prefixedNamespaces } from './network.js';
import { alive, listProcesses, mustRun, run, sleep } from './proc.js';
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

/**
 * The lab's processes, found three ways so a crash or a half-finished up leaves none: anything in
 * one of its network namespaces, anything in the PID namespace of one of its hosts, and the
 * launchers (their command line names the lab's stage 1 script) whether or not a pids file lists them.
 */
async function labProcesses(p: LabPaths, netInodes: Set<number>): Promise<number[]> {
  const procs = await listProcesses();
  const nets = new Set([...netInodes].map((i) => `net:[${i}]`));
  const inNet = procs.filter((pr) => pr.netNs && nets.has(pr.netNs));
  const pidNs = new Set(inNet.filter((pr) => pr.innerPid === 1 && pr.pidNs).map((pr) => pr.pidNs!));
  const victims = procs.filter(
    (pr) => (pr.netNs && nets.has(pr.netNs)) || (pr.pidNs && pidNs.has(pr.pidNs)) || pr.cmdline.includes(p.stage1),
  );
  return victims.map((v) => v.pid);
}

async function recordedPids(p: LabPaths): Promise<number[]> {
  const text = await readFile(p.pidsFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
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
  // Recorded pids count only while they still run the lab's stage 1 (a pid may have been reused).
  const recorded = await recordedPids(p);
  for (let round = 0; round < 5; round++) {
    const victims = await labProcesses(p, inodes);
    if (round === 0) {
      for (const pid of recorded) {
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmd.includes(p.dir) && !victims.includes(pid)) victims.push(pid);
      }
    }
    const live = [];
    for (const pid of victims) if (await alive(pid)) live.push(pid);
    if (!live.length) break;
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    for (let i = 0; i < 50; i++) {
      const still = [];
      for (const pid of live) if (await alive(pid)) still.push(pid);
      if (!still.length) break;
      await sleep(100);
    }
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
  if (inventoryPath) {
    const text = await readFile(inventoryPath, 'utf8').catch(() => '');
    if (text.includes('fabric_lab: true')) await rm(inventoryPath, { force: true });
  }
  return { namespaces, killed, unmounted: mounts.length, removedDir };
}
