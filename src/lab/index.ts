import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { shellJoin } from '../quote.js';
import { hostExec, hostExecCapture } from './exec.js';
import type { RunResult } from './proc.js';
import { STAGE1, writeHostFiles } from './host-files.js';
import { hostInits, hostListening, startHosts, waitHostsReady } from './hosts.js';
import { hostProxies, proxyCommand, writeInventory } from './inventory.js';
import { makeKeys, writeKnownHosts } from './keys.js';
import { createNetwork, prefixedNamespaces } from './network.js';
import { mapLimit } from '../map-limit.js';
import { ensureRequirements } from './requirements.js';
import { labPaths, readState, withLabLock, type LabOptions, type LabPaths, type LabState } from './state.js';
import { hostStatuses, type HostStatus } from './status.js';
import { teardown, type DownReport } from './teardown.js';
import { controllerNs, DEFAULT_LAB, labIdentity, resolveTopology, type Topology } from './topology.js';

export type { LabOptions } from './state.js';
export type { HostStatus } from './status.js';
export type { DownReport } from './teardown.js';
export { labUnavailableReason } from './requirements.js';

export interface LabHost {
  name: string;
  address: string;
  groups: string[];
}

export interface LabInfo {
  name: string;
  inventoryPath: string;
  hosts: LabHost[];
  /** argv the SSH transport spawns to reach a lab address (%h, %p substituted). */
  proxyCommand: string[];
  /** Hosts behind a slow link (--delay/--loss): their own proxy argv. */
  hostProxies: Record<string, string[]>;
  keyFile: string;
  knownHostsFile: string;
  /** Namespace name prefix (for checks that nothing is left). */
  prefix: string;
  stateDir: string;
  /** True when the lab was already up and healthy: `up` changed nothing. */
  reused: boolean;
}

export interface LabStatus {
  name: string;
  up: boolean;
  hosts: HostStatus[];
  namespaces: string[];
}

/** The default lab's inventory is the repo's inventory/lab.yml; other labs keep theirs in their state dir. */
function inventoryPathFor(repoRoot: string, p: LabPaths, name: string): string {
  return name === DEFAULT_LAB ? join(resolve(repoRoot), 'inventory', 'lab.yml') : join(p.dir, 'inventory.yml');
}

function info(t: Topology, p: LabPaths, inventoryPath: string, proxy: string[], reused: boolean): LabInfo {
  return {
    name: t.name,
    inventoryPath,
    hosts: t.hosts.map((h) => ({ name: h.name, address: h.address, groups: [...h.groups] })),
    proxyCommand: proxy,
    hostProxies: hostProxies(t),
    keyFile: p.key,
    knownHostsFile: p.knownHosts,
    prefix: t.prefix,
    stateDir: p.dir,
    reused,
  };
}

/** The lab's topology: what `up` recorded, else what the options describe. */
async function current(opts: LabOptions): Promise<{ t: Topology; p: LabPaths; state?: LabState }> {
  // A lab that is up answers with the topology it recorded: `exec h1 --name perf` needs no --hosts.
  const p = labPaths(opts.repoRoot, labIdentity(opts).name);
  const state = await readState(p);
  return { t: state?.topology ?? resolveTopology(opts), p, state };
}

async function healthy(t: Topology): Promise<boolean> {
  const inits = await hostInits(t);
  for (const h of t.hosts) {
    const init = inits.get(h.name);
    if (init === undefined || !(await hostListening(h, init))) return false;
  }
  return true;
}

async function build(t: Topology, p: LabPaths, inventoryPath: string, log: (l: string) => void): Promise<string[]> {
  const t0 = Date.now();
  // FABRIC_LAB_TRACE=1 prints how long each phase took (for the benchmark report).
  const phase = (what: string) => process.env.FABRIC_LAB_TRACE && log(`  ${what}: ${Date.now() - t0} ms`);
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  await writeFile(p.stage1, STAGE1, { mode: 0o755 });
  const [keys] = await Promise.all([makeKeys(p, t), createNetwork(t)]);
  phase('keys and network');
  const pub = await readFile(`${p.key}.pub`, 'utf8');
  // The overlay shows only the root filesystem: hide the lab's state (its keys) when it lives there.
  const hide = statSync(p.labsDir).dev === statSync('/').dev ? p.labsDir : undefined;
  await mapLimit(t.hosts, 16, (h) => writeHostFiles(p, t, h, keys.get(h.name)!, pub, hide));
  phase('host files');
  await startHosts(p, t);
  phase('hosts started');
  await waitHostsReady(p, t);
  phase('hosts ready');
  await writeKnownHosts(p, t, keys);
  const proxy = proxyCommand(controllerNs(t));
  await writeInventory(inventoryPath, t, p, proxy);
  const state: LabState = { topology: t, inventoryPath, proxyCommand: proxy, startedAt: new Date().toISOString() };
  await writeFile(p.stateFile, JSON.stringify(state, null, 2) + '\n');
  log(`lab ${t.name}: ${t.hosts.length} hosts up, inventory ${inventoryPath}`);
  return proxy;
}

/**
 * Brings a lab up. Up twice is idempotent when the running lab is healthy and has the same
 * topology; a half-up or different lab is refused with what to run.
 */
export async function labUp(opts: LabOptions, log: (line: string) => void = () => {}): Promise<LabInfo> {
  const t = resolveTopology(opts);
  const p = labPaths(opts.repoRoot, t.name);
  await ensureRequirements(log);
  return withLabLock(p, t.name, async () => {
    const inventoryPath = inventoryPathFor(opts.repoRoot, p, t.name);
    const state = await readState(p);
    const leftovers = await prefixedNamespaces(t.prefix);
    const nameFlag = t.name === DEFAULT_LAB ? '' : ` --name ${t.name}`;
    if (state || leftovers.length || existsSync(p.dir)) {
      if (state && JSON.stringify(state.topology) === JSON.stringify(t) && existsSync(state.inventoryPath) && (await healthy(t))) {
        log(`lab ${t.name} is already up: nothing to do`);
        return info(t, p, state.inventoryPath, state.proxyCommand, true);
      }
      const what = state ? (JSON.stringify(state.topology) === JSON.stringify(t) ? 'is up but not healthy' : 'is up with another topology') : 'was left half up';
      throw new Error(`lab ${t.name} ${what} (${p.dir}, ${leftovers.length} namespaces ${t.prefix}*): run \`fabric lab down${nameFlag}\` first`);
    }
    try {
      const proxy = await build(t, p, inventoryPath, log);
      return info(t, p, inventoryPath, proxy, false);
    } catch (e) {
      await teardown(p, t.prefix, inventoryPath).catch(() => undefined);
      throw e;
    }
  });
}

/** Removes everything of the lab, found by name prefix and state dir (works after a crash or half-finished up). */
export async function labDown(opts: LabOptions): Promise<DownReport> {
  const t = labIdentity(opts);
  const p = labPaths(opts.repoRoot, t.name);
  if (process.getuid?.() !== 0) throw new Error('fabric lab down needs root');
  return withLabLock(p, t.name, () => teardown(p, t.prefix, inventoryPathFor(opts.repoRoot, p, t.name)));
}

export async function labStatus(opts: LabOptions): Promise<LabStatus> {
  const { t } = await current(opts);
  const namespaces = await prefixedNamespaces(t.prefix);
  const hosts = await hostStatuses(t, controllerNs(t));
  return { name: t.name, up: hosts.every((h) => h.running && h.sshd), hosts, namespaces };
}

/** Runs argv inside a lab host with the caller's stdio; resolves to its exit code. */
export async function labExec(host: string, argv: string[], opts: LabOptions): Promise<number> {
  const { t } = await current(opts);
  return hostExec(t, host, argv);
}

/** Like labExec, capturing stdout/stderr. */
export async function labExecCapture(host: string, argv: string[], opts: LabOptions, input?: string): Promise<RunResult> {
  const { t } = await current(opts);
  return hostExecCapture(t, host, argv, input);
}

/** argv of an interactive OpenSSH client to a lab host, through the same proxy as the SSH transport. */
export async function labSshArgv(host: string, opts: LabOptions, extra: string[] = []): Promise<string[]> {
  const { t, p, state } = await current(opts);
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`${host} is not a host of lab ${t.name} (hosts: ${t.hosts.map((x) => x.name).join(', ')})`);
  if (!state) throw new Error(`lab ${t.name} is not up: run fabric lab up first`);
  // ssh(1) runs ProxyCommand through a shell: quote every word; %h/%p stay for ssh to expand.
  return [
    'ssh',
    '-F', '/dev/null',
    '-i', p.key,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${p.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `ProxyCommand=${shellJoin(state.proxyCommand)}`,
    '-l', 'root',
    ...extra,
    h.address,
  ];
}
