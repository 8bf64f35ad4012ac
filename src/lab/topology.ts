import type { LinkConditions } from './links.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '../errors.js';

export interface LabHostSpec {
  name: string;
  address: string;
  /** Leaf groups the host is in (inventory groups). */
  groups: string[];
  /** Runs the HTTP stand-in on port 80 (answers its hostname). */
  http: boolean;
}

export interface Topology {
  /** Lab name: state in .lab/<name>/, namespaces named <prefix><host>. */
  name: string;
  /** Namespace name prefix; `down` finds leftovers by it. */
  prefix: string;
  /** e.g. 172.16.1.0/24: every host address lives in it. */
  subnet: string;
  hosts: LabHostSpec[];
  /** Parent group -> child groups (e.g. k8s: [control_plane, workers]). */
  groupChildren: Record<string, string[]>;
  /**
   * Where the controller's SSH proxy runs: the netns of an existing host (`host`), or a
   * dedicated <prefix>ctl namespace holding only `address` on the lab bridge.
   */
  controller: { host: string } | { address: string };
  /** --delay/--loss: what the controller's SSH path to each host goes through (src/lab/links.ts). */
  links?: LinkConditions;
}

export const DEFAULT_LAB = 'fab';
export const BENCH_LAB = 'bench';
/** Only inside lab namespaces: never routed from the machine's own namespace. */
const BENCH_SUBNET = '10.213.0.0/16';
const MAX_BENCH_HOSTS = 300;
/** Names ip(8) and the kernel accept for namespaces and interfaces (IFNAMSIZ - 1). */
const MAX_IFNAME = 15;
const RESERVED = new Set(['br', 'ctl']);

/** The seed's lab: control plane, three workers, a router and the operator's workstation. */
export function defaultTopology(): Topology {
  const h = (name: string, last: number, groups: string[], http = false): LabHostSpec => ({
    name,
    address: `172.16.1.${last}`,
    groups,
    http,
  });
  return {
    name: DEFAULT_LAB,
    prefix: 'fab-',
    subnet: '172.16.1.0/24',
    hosts: [
      h('cp1', 201, ['control_plane'], true),
      h('w1', 202, ['workers'], true),
      h('w2', 203, ['workers'], true),
      h('w3', 204, ['workers'], true),
      h('router', 210, ['router']),
      h('workstation', 100, ['workstation']),
    ],
    // storage: no host, the lab's kernel has no NFS (README: Storage); the group is there so
    // site.yml and verify.yml plan their storage plays (on no host) here as for the cluster.
    groupChildren: { k8s: ['control_plane', 'workers'], storage: [] },
    // The controller speaks from the workstation's namespace: it is the operator's machine.
    controller: { host: 'workstation' },
  };
}

/** A flat lab of n hosts h1..hn in group `bench`, on its own subnet so it coexists with the default lab. */
export function benchTopology(n: number, name = BENCH_LAB): Topology {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BENCH_HOSTS) {
    throw new InputError(`--hosts must be an integer from 1 to ${MAX_BENCH_HOSTS}, got ${n}`);
  }
  const hosts: LabHostSpec[] = [];
  for (let i = 1; i <= n; i++) {
    hosts.push({ name: `h${i}`, address: `10.213.${Math.floor(i / 250)}.${(i % 250) + 1}`, groups: ['bench'], http: false });
  }
  return checkTopology({
    name,
    prefix: prefixFor(name),
    subnet: BENCH_SUBNET,
    hosts,
    groupChildren: {},
    controller: { address: '10.213.255.254' },
  });
}

export function prefixFor(name: string): string {
  return `${name}-`;
}

export function checkLabName(name: string): string {
  if (!/^[a-z][a-z0-9]{1,7}$/.test(name)) {
    throw new InputError(`lab name ${JSON.stringify(name)} is invalid`, undefined, 'use 2-8 lowercase letters or digits, starting with a letter');
  }
  return name;
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Network address and prefix length of a CIDR, or undefined when malformed. */
export function parseCidr(cidr: string): { base: number; len: number } | undefined {
  const [ip, lenText] = cidr.split('/');
  const base = ip === undefined ? undefined : ipToInt(ip);
  const len = Number(lenText);
  if (base === undefined || !Number.isInteger(len) || len < 8 || len > 30) return undefined;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return { base: (base & mask) >>> 0, len };
}

export function inSubnet(ip: string, cidr: string): boolean {
  const n = ipToInt(ip);
  const c = parseCidr(cidr);
  if (n === undefined || !c) return false;
  const mask = (~0 << (32 - c.len)) >>> 0;
  return ((n & mask) >>> 0) === c.base && n !== c.base && n !== (c.base | ~mask) >>> 0;
}

export function prefixLength(cidr: string): number {
  return parseCidr(cidr)!.len;
}

/** Validates names, addresses and groups; returns the topology unchanged. */
export function checkTopology(t: Topology): Topology {
  checkLabName(t.name);
  if (!parseCidr(t.subnet)) throw new InputError(`lab subnet ${JSON.stringify(t.subnet)} is not an IPv4 CIDR (/8 to /30)`);
  if (!t.hosts.length) throw new InputError('lab topology has no hosts');
  const seenNames = new Set<string>();
  const seenAddr = new Map<string, string>();
  for (const h of t.hosts) {
    if (!/^[a-z][a-z0-9-]*$/.test(h.name) || RESERVED.has(h.name)) {
      throw new InputError(`lab host name ${JSON.stringify(h.name)} is invalid`, undefined, 'lowercase letters, digits and -, starting with a letter; not br or ctl');
    }
    if ((t.prefix + h.name).length > MAX_IFNAME || `v-${h.name}`.length > MAX_IFNAME) {
      throw new InputError(`lab host name ${h.name} is too long: namespace ${t.prefix}${h.name} must fit in ${MAX_IFNAME} characters`);
    }
    if (seenNames.has(h.name)) throw new InputError(`lab host ${h.name} is listed twice`);
    seenNames.add(h.name);
    if (!inSubnet(h.address, t.subnet)) throw new InputError(`lab host ${h.name}: address ${h.address} is not a host address in ${t.subnet}`);
    const other = seenAddr.get(h.address);
    if (other) throw new InputError(`lab hosts ${other} and ${h.name} both have address ${h.address}`);
    seenAddr.set(h.address, h.name);
    if (!h.groups.length) throw new InputError(`lab host ${h.name} is in no group`);
  }
  if ('host' in t.controller) {
    if (!seenNames.has(t.controller.host)) throw new InputError(`lab controller host ${t.controller.host} is not a lab host`);
  } else {
    if (!inSubnet(t.controller.address, t.subnet)) throw new InputError(`lab controller address ${t.controller.address} is not in ${t.subnet}`);
    const other = seenAddr.get(t.controller.address);
    if (other) throw new InputError(`lab controller address ${t.controller.address} is also host ${other}'s`);
  }
  const leafGroups = new Set(t.hosts.flatMap((h) => h.groups));
  for (const [parent, children] of Object.entries(t.groupChildren)) {
    if (leafGroups.has(parent)) throw new InputError(`lab group ${parent} has both hosts and child groups`);
    for (const c of children) {
      if (!leafGroups.has(c) && !(c in t.groupChildren)) throw new InputError(`lab group ${parent}: child group ${c} has no hosts`);
    }
  }
  return t;
}

interface TopologyFile {
  name?: unknown;
  subnet?: unknown;
  controller?: unknown;
  groups?: unknown;
  hosts?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, what: string, file: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new InputError(`${file}: ${what} must be a list of names`);
}

/**
 * A topology file:
 *   name: mylab                 # optional, default from --name or "fab"
 *   subnet: 172.16.1.0/24
 *   controller: workstation     # a host's netns runs the SSH proxy, or an IPv4 address for a dedicated one
 *   groups: {k8s: [control_plane, workers]}
 *   hosts: {cp1: {address: 172.16.1.201, groups: [control_plane], http: true}}
 */
export function loadTopology(file: string, name?: string): Topology {
  let doc: TopologyFile;
  try {
    doc = parse(readFileSync(file, 'utf8')) as TopologyFile;
  } catch (e) {
    throw new InputError(`${file}: cannot read topology: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) throw new InputError(`${file}: a topology is a mapping`);
  const labName = checkLabName(name ?? (typeof doc.name === 'string' ? doc.name : DEFAULT_LAB));
  if (typeof doc.subnet !== 'string') throw new InputError(`${file}: subnet (e.g. 172.16.1.0/24) is required`);
  if (!isRecord(doc.hosts)) throw new InputError(`${file}: hosts must map host names to {address, groups}`);
  const hosts: LabHostSpec[] = Object.entries(doc.hosts).map(([hostName, spec]) => {
    if (!isRecord(spec) || typeof spec.address !== 'string') throw new InputError(`${file}: host ${hostName} needs an address`);
    return {
      name: hostName,
      address: spec.address,
      groups: stringList(spec.groups ?? [], `host ${hostName} groups`, file),
      http: spec.http === true,
    };
  });
  const groupChildren: Record<string, string[]> = {};
  if (doc.groups !== undefined) {
    if (!isRecord(doc.groups)) throw new InputError(`${file}: groups must map a group to its child groups`);
    for (const [g, children] of Object.entries(doc.groups)) groupChildren[g] = stringList(children, `group ${g}`, file);
  }
  const ctl = doc.controller;
  if (typeof ctl !== 'string') throw new InputError(`${file}: controller (a host name, or an address for a dedicated proxy namespace) is required`);
  return checkTopology({
    name: labName,
    prefix: labName === DEFAULT_LAB ? 'fab-' : prefixFor(labName),
    subnet: doc.subnet,
    hosts,
    groupChildren,
    controller: ipToInt(ctl) !== undefined ? { address: ctl } : { host: ctl },
  });
}

/** Picks the topology for the options: a file, --hosts N, or the seed's default. */
export function resolveTopology(opts: { name?: string; topologyFile?: string; hosts?: number; links?: LinkConditions }): Topology {
  const t = baseTopology(opts);
  if (!opts.links || !Object.keys(opts.links).length) return t;
  for (const h of Object.keys(opts.links)) if (h !== '*' && !t.hosts.some((x) => x.name === h)) throw new InputError(`--delay/--loss name '${h}', which is not a host of lab ${t.name}`);
  return { ...t, links: opts.links };
}

function baseTopology(opts: { name?: string; topologyFile?: string; hosts?: number }): Topology {
  if (opts.topologyFile && opts.hosts !== undefined) throw new InputError('use either --topology or --hosts, not both');
  if (opts.topologyFile) return loadTopology(opts.topologyFile, opts.name);
  if (opts.hosts !== undefined) return benchTopology(opts.hosts, checkLabName(opts.name ?? BENCH_LAB));
  const t = defaultTopology();
  if (opts.name && opts.name !== DEFAULT_LAB) {
    t.name = checkLabName(opts.name);
    t.prefix = prefixFor(t.name);
  }
  return checkTopology(t);
}

/** Name and namespace prefix of the lab the options mean, without validating a topology (for `down`). */
export function labIdentity(opts: { name?: string; topologyFile?: string; hosts?: number }): { name: string; prefix: string } {
  let name = opts.name;
  if (!name && opts.topologyFile) name = loadTopology(opts.topologyFile).name;
  name = checkLabName(name ?? (opts.hosts !== undefined ? BENCH_LAB : DEFAULT_LAB));
  return { name, prefix: prefixFor(name) };
}

/** Namespace names of a lab. */
export function nsName(t: Pick<Topology, 'prefix'>, host: string): string {
  return `${t.prefix}${host}`;
}
export function bridgeNs(t: Pick<Topology, 'prefix'>): string {
  return `${t.prefix}br`;
}
export function controllerNs(t: Topology): string {
  return 'host' in t.controller ? nsName(t, t.controller.host) : `${t.prefix}ctl`;
}
