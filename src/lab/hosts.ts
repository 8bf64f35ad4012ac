import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ENV, SUPERVISOR } from './host-files.js';
import { NETNS_DIR } from './network.js';
import { alive, innerPid, listNamespaces, sleep } from './proc.js';
import type { LabPaths } from './state.js';
import { nsName, type LabHostSpec, type Topology } from './topology.js';

/**
 * Starts every host: the supervisor nsenters each host's netns and unshares fresh mount/PID/UTS
 * namespaces whose PID 1 runs stage 1 (again at each reboot). Detached, so the lab outlives the command that brought it up.
 */
export async function startHosts(p: LabPaths, t: Topology): Promise<void> {
  await writeFile(p.supervisor, SUPERVISOR, { mode: 0o755 });
  const log = openSync(join(p.dir, 'supervisor.log'), 'a');
  try {
    const args = t.hosts.flatMap((h) => [h.name, p.hostDir(h.name), nsName(t, h.name)]);
    // unshare execs the supervisor in a mount namespace of its own (it keeps the hosts' disks there).
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/bash', p.supervisor, p.stage1, p.pidsFile, ...args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...Object.fromEntries(LAB_ENV.map((kv) => kv.split('=', 2) as [string, string])),
        ...(process.env.FABRIC_LAB_PARALLEL ? { FABRIC_LAB_PARALLEL: process.env.FABRIC_LAB_PARALLEL } : {}),
      },
    });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await appendFile(p.pidsFile, `${child.pid}\n`);
  } finally {
    closeSync(log);
  }
}

/** Listening TCP ports of the namespace a process is in, from /proc/PID/net/tcp. */
async function listeningPorts(pid: number): Promise<Set<number>> {
  const text = await readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => '');
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[1]) ports.add(parseInt(f[1].split(':')[1]!, 16));
  }
  return ports;
}

/** PID (in the machine's namespace) of each running host's PID 1, found by its netns in one /proc scan. */
export async function hostInits(t: Topology): Promise<Map<string, number>> {
  const byIno = new Map<string, string>();
  for (const h of t.hosts) {
    const ino = await stat(`${NETNS_DIR}/${nsName(t, h.name)}`).then((s) => s.ino, () => undefined);
    if (ino !== undefined) byIno.set(`net:[${ino}]`, h.name);
  }
  const out = new Map<string, number>();
  if (!byIno.size) return out;
  for (const pr of await listNamespaces()) {
    const host = pr.netNs && byIno.get(pr.netNs);
    if (host && !out.has(host) && (await innerPid(pr.pid)) === 1) out.set(host, pr.pid);
  }
  return out;
}

export async function findHostInit(t: Topology, host: string): Promise<number | undefined> {
  const one = { ...t, hosts: t.hosts.filter((h) => h.name === host) };
  return (await hostInits(one)).get(host);
}

/** Listening TCP ports (22, 80) a host needs before it counts as up. */
export function neededPorts(h: LabHostSpec): number[] {
  return h.http ? [22, 80] : [22];
}

export async function hostListening(h: LabHostSpec, init: number): Promise<boolean> {
  const ports = await listeningPorts(init);
  return neededPorts(h).every((n) => ports.has(n));
}

async function bootLog(p: LabPaths, host: string): Promise<string> {
  const log = await readFile(join(p.hostDir(host), 'boot.log'), 'utf8').catch(() => '');
  return log.trim().split('\n').slice(-5).join(' | ') || 'no output';
}

/** A boot that makes no progress for this long has failed (a loaded machine is slow, not stuck). */
const STALL_MS = 60_000;

/** Waits until every host's sshd (and HTTP stand-in) listen; throws with the boot log of a host that died or stalled. */
export async function waitHostsReady(p: LabPaths, t: Topology): Promise<void> {
  let pending = t.hosts;
  let progressAt = Date.now();
  for (let delay = 20; pending.length; delay = Math.min(delay * 2, 200)) {
    const inits = await hostInits({ ...t, hosts: pending });
    const still: LabHostSpec[] = [];
    for (const h of pending) {
      const init = inits.get(h.name);
      if (init !== undefined && (await hostListening(h, init))) continue;
      const launcher = Number(await readFile(join(p.hostDir(h.name), 'launcher.pid'), 'utf8').catch(() => '0'));
      if (launcher && init === undefined && !(await alive(launcher))) {
        throw new Error(`lab host ${h.name} did not start: ${await bootLog(p, h.name)}`);
      }
      still.push(h);
    }
    if (still.length < pending.length) progressAt = Date.now();
    pending = still;
    if (pending.length && Date.now() - progressAt > STALL_MS) {
      throw new Error(`lab hosts ${pending.map((h) => h.name).join(', ')}: no sshd came up for ${STALL_MS / 1000} s (${await bootLog(p, pending[0]!.name)})`);
    }
    if (pending.length) await sleep(delay);
  }
}
