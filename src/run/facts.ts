import type { ExecResult } from '../connection/types.js';
import type { Facts } from '../modules/types.js';

/**
 * Shell text printing everything facts need in one round trip: `key=value` lines, then
 * sections framed by `@@name` / `@@end` lines holding raw command output.
 */
export function factsScript(): string {
  return [
    'echo "uname_s=$(uname -s)"',
    'echo "kernel=$(uname -r)"',
    'echo "arch=$(uname -m)"',
    'echo "nodename=$(uname -n)"',
    '[ -d /run/systemd/system ] && echo has_systemd=1',
    'for m in apt-get dnf yum zypper apk pacman brew; do if command -v "$m" >/dev/null 2>&1; then echo "pkg_mgr=$m"; break; fi; done',
    'if [ -r /etc/os-release ]; then echo @@os-release; cat /etc/os-release; echo; echo @@end; fi',
    'if [ "$(uname -s)" = Darwin ]; then',
    '  echo @@sw_vers; sw_vers 2>/dev/null; echo @@end',
    '  echo @@route-default; route -n get default 2>/dev/null; echo @@end',
    '  echo @@ifconfig; ifconfig -a 2>/dev/null; echo @@end',
    'elif command -v ip >/dev/null 2>&1; then',
    '  echo @@ip-route; ip -j route show default 2>/dev/null; echo; echo @@end',
    '  echo @@ip-addr; ip -j -4 addr show 2>/dev/null; echo; echo @@end',
    'fi',
  ].join('\n');
}

const FAMILY: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Debian', raspbian: 'Debian', linuxmint: 'Debian', pop: 'Debian', kali: 'Debian',
  rhel: 'RedHat', centos: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', ol: 'RedHat', amzn: 'RedHat',
  alpine: 'Alpine', arch: 'Archlinux', sles: 'Suse', opensuse: 'Suse', 'opensuse-leap': 'Suse', suse: 'Suse',
};
const DISTRO: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', rhel: 'RedHat', centos: 'CentOS', fedora: 'Fedora', rocky: 'Rocky',
  almalinux: 'AlmaLinux', alpine: 'Alpine', arch: 'Archlinux', ol: 'OracleLinux', amzn: 'Amazon',
};

function sections(out: string): { kv: Map<string, string>; sec: Map<string, string> } {
  const kv = new Map<string, string>();
  const sec = new Map<string, string>();
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('@@') && line !== '@@end') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== '@@end'; i++) body.push(lines[i]!);
      sec.set(line.slice(2), body.join('\n'));
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  return { kv, sec };
}

function osRelease(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const r = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (r) m.set(r[1]!, r[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return m;
}

function parseJson<T>(text: string | undefined): T[] {
  if (!text || !text.trim()) return [];
  try {
    const v: unknown = JSON.parse(text.trim());
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; scope?: string }[];
}

function linuxNet(sec: Map<string, string>): Pick<Facts, 'default_ipv4' | 'all_ipv4_addresses'> {
  const routes = parseJson<{ gateway?: string; dev?: string; metric?: number }>(sec.get('ip-route'));
  const addrs = parseJson<IpAddr>(sec.get('ip-addr'));
  const all: string[] = [];
  for (const a of addrs)
    for (const i of a.addr_info ?? []) if (i.family === 'inet' && i.scope !== 'host' && !i.local.startsWith('127.')) all.push(i.local);
  // The lowest-metric default route is the one the kernel uses.
  const def = [...routes].sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
  const default_ipv4: Facts['default_ipv4'] = {};
  if (def?.dev) {
    default_ipv4.interface = def.dev;
    if (def.gateway) default_ipv4.gateway = def.gateway;
    const addr = addrs.find((a) => a.ifname === def.dev)?.addr_info?.find((i) => i.family === 'inet');
    if (addr) default_ipv4.address = addr.local;
  }
  return { default_ipv4, all_ipv4_addresses: all };
}

/** `route -n get default` and `ifconfig -a` as macOS prints them. */
export function darwinNet(routeGet: string, ifconfig: string): Pick<Facts, 'default_ipv4' | 'all_ipv4_addresses'> {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(routeGet)?.[1];
  const byIf = new Map<string, string[]>();
  let cur = '';
  for (const line of ifconfig.split('\n')) {
    const head = /^([A-Za-z0-9.]+):\s/.exec(line);
    if (head) cur = head[1]!;
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (inet && cur) byIf.set(cur, [...(byIf.get(cur) ?? []), inet[1]!]);
  }
  const all = [...byIf.values()].flat().filter((a) => !a.startsWith('127.'));
  const default_ipv4: Facts['default_ipv4'] = {};
  const iface = field('interface');
  if (iface) {
    default_ipv4.interface = iface;
    const gw = field('gateway');
    if (gw) default_ipv4.gateway = gw;
    const addr = byIf.get(iface)?.[0];
    if (addr) default_ipv4.address = addr;
  }
  return { default_ipv4, all_ipv4_addresses: all };
}

/** Turns what factsScript printed into Facts; missing pieces become '' or {} rather than errors. */
export function parseFacts(stdout: string): Facts {
  const { kv, sec } = sections(stdout);
  const darwin = kv.get('uname_s') === 'Darwin';
  let os_family = kv.get('uname_s') || 'unknown';
  let distribution = os_family;
  let distribution_version = '';
  if (darwin) {
    const sw = sec.get('sw_vers') ?? '';
    distribution = 'MacOSX';
    distribution_version = /ProductVersion:\s*(\S+)/.exec(sw)?.[1] ?? '';
  } else if (sec.has('os-release')) {
    const osr = osRelease(sec.get('os-release')!);
    const id = (osr.get('ID') ?? '').toLowerCase();
    const like = (osr.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const fam = [id, ...like].map((x) => FAMILY[x]).find(Boolean);
    os_family = fam ?? (id ? id[0]!.toUpperCase() + id.slice(1) : os_family);
    distribution = DISTRO[id] ?? (osr.get('NAME') || id || os_family);
    distribution_version = osr.get('VERSION_ID') ?? '';
  }
  const net = darwin ? darwinNet(sec.get('route-default') ?? '', sec.get('ifconfig') ?? '') : linuxNet(sec);
  const pm = kv.get('pkg_mgr');
  return {
    os_family,
    distribution,
    distribution_version,
    kernel: kv.get('kernel') ?? '',
    architecture: kv.get('arch') ?? '',
    // Ansible's ansible_hostname: the node name up to the first dot.
    hostname: (kv.get('nodename') ?? '').split('.')[0]!,
    ...net,
    has_systemd: kv.get('has_systemd') === '1',
    pkg_mgr: pm === 'apt-get' ? 'apt' : pm ?? 'unknown',
  };
}

/** One round trip; a failing script is an error (the host is reachable but broken). */
export async function gatherFacts(exec: (script: string) => Promise<ExecResult>): Promise<Facts> {
  const r = await exec(factsScript());
  if (r.rc !== 0 && !r.stdout.includes('uname_s=')) throw new Error(`gathering facts failed (rc ${r.rc}): ${r.stderr.trim()}`);
  return parseFacts(r.stdout);
}
