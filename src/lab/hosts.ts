import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ENV } from './host-files.js';
import { NETNS_DIR } from './network.js';
import { listProcesses, sleep } from './proc.js';
import type { LabPaths } from './state.js';
import { nsName, type LabHostSpec, type Topology } from './topology.js';

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a host: nsenter into its netns, unshare fresh mount/PID/UTS namespaces and run stage 1
 * as their PID 1. Detached, so the lab outlives the command that brought it up.
 */
export async function startHost(p: LabPaths, t: Topology, h: LabHostSpec): Promise<number> {
  const hd = p.hostDir(h.name);
  const log = openSync(join(hd, 'boot.log'), 'a');
  try {
    const child = spawn(
      'nsenter',
      [`--net=${NETNS_DIR}/${nsName(t, h.name)}`, 'unshare', '--mount', '--pid', '--uts', '--fork', '--propagation', 'private', '--', '/bin/bash', p.stage1, h.name, hd, p.labsDir],
      { detached: true, stdio: ['ignore', log, log], env: Object.fromEntries(LAB_ENV.map((kv) => kv.split('=', 2) as [string, string])) },
    );
    child.unref();
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    await appendFile(p.pidsFile, `${pid}\n`);
    return pid;
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
  for (const pr of await listProcesses()) {
    const host = pr.netNs && byIno.get(pr.netNs);
    if (host && pr.innerPid === 1) out.set(host, pr.pid);
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

/** Waits until the host's sshd (and HTTP stand-in) listen; throws with its boot log when it died. */
export async function waitHostReady(p: LabPaths, t: Topology, h: LabHostSpec, launcher: number): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    const children = await readFile(`/proc/${launcher}/task/${launcher}/children`, 'utf8').catch(() => undefined);
    const init = children?.trim().split(/\s+/).map(Number)[0];
    if (init) {
      if (await hostListening(h, init)) {
        await appendFile(p.pidsFile, `${init}\n`);
        return init;
      }
    } else if (children === undefined || Date.now() > deadline) {
      const log = await readFile(join(p.hostDir(h.name), 'boot.log'), 'utf8').catch(() => '');
      throw new Error(`lab host ${h.name} did not start: ${log.trim().split('\n').slice(-5).join(' | ') || 'no output'}`);
    }
    if (Date.now() > deadline) throw new Error(`lab host ${h.name}: sshd${h.http ? '/http' : ''} not listening after ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(delay);
  }
}
