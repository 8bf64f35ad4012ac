import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './proc.js';

/** What the lab runs, and the Debian package that ships it. */
const NEEDS: ReadonlyArray<{ bin: string; pkg: string }> = [
  { bin: 'ip', pkg: 'iproute2' },
  { bin: 'sshd', pkg: 'openssh-server' },
  { bin: 'ssh', pkg: 'openssh-client' },
  { bin: 'ssh-keygen', pkg: 'openssh-client' },
  { bin: 'socat', pkg: 'socat' },
  { bin: 'curl', pkg: 'curl' },
  { bin: '/usr/lib/frr/frrinit.sh', pkg: 'frr' },
  { bin: 'nsenter', pkg: 'util-linux' },
  { bin: 'unshare', pkg: 'util-linux' },
  { bin: 'pivot_root', pkg: 'util-linux' },
  { bin: 'mount', pkg: 'mount' },
];

const SBIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a program (PATH plus the sbin directories a non-login root shell may lack). */
export function which(bin: string): string | undefined {
  const dirs = bin.startsWith('/') ? [''] : [...(process.env.PATH ?? '').split(delimiter), ...SBIN];
  for (const d of dirs) {
    const p = d ? join(d, bin) : bin;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Missing {
  isRoot: boolean;
  packages: string[];
  bins: string[];
}

export function checkRequirements(): Missing {
  const missing = NEEDS.filter((n) => !which(n.bin));
  return {
    isRoot: process.getuid?.() === 0,
    packages: [...new Set(missing.map((m) => m.pkg))],
    bins: missing.map((m) => m.bin),
  };
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailableReason(m: Missing = checkRequirements()): string | undefined {
  if (!m.isRoot) return 'fabric lab needs root (network namespaces, mounts)';
  if (m.packages.length) return `missing ${m.bins.join(', ')}: apt-get install -y ${m.packages.join(' ')}`;
  return undefined;
}

/** Installs what is missing with apt-get when root; otherwise says exactly what to do. */
export async function ensureRequirements(log: (line: string) => void): Promise<void> {
  const m = checkRequirements();
  if (!m.isRoot) {
    const extra = m.packages.length ? `; also install: apt-get install -y ${m.packages.join(' ')}` : '';
    throw new Error(`fabric lab needs root (network namespaces, mounts): run it with sudo${extra}`);
  }
  if (!m.packages.length) return;
  log(`installing ${m.packages.join(' ')} (missing ${m.bins.join(', ')})`);
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  let r = await run([...env, 'apt-get', 'install', '-y', '--no-install-recommends', ...m.packages]);
  if (r.code !== 0) {
    await run([...env, 'apt-get', 'update']);
    r = await run([...env, 'apt-get', 'install', '-y', '--no-install-recommends', ...m.packages]);
  }
  const still = checkRequirements();
  if (r.code !== 0 || still.packages.length) {
    throw new Error(`could not install ${m.packages.join(' ')}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}; run apt-get install -y ${still.packages.join(' ')}`);
  }
}
