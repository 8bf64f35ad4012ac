import { spawn } from 'node:child_process';
import { hostInits } from './hosts.js';
import { pool } from './proc.js';
import type { Topology } from './topology.js';

export interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  /** Its PID 1 runs. */
  running: boolean;
  /** An SSH banner came back through the lab proxy. */
  sshd: boolean;
}

/** Connects through the proxy argv (as the SSH transport does) and waits for the SSH banner. */
export function probeSsh(proxy: string[], address: string, port = 22, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const [cmd, ...args] = proxy.map((a) => a.replace(/%h/g, address).replace(/%p/g, String(port)));
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let seen = '';
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.startsWith('SSH-')) finish(true);
    });
    child.on('error', () => finish(false));
    child.on('close', () => finish(seen.startsWith('SSH-')));
  });
}

export async function hostStatuses(t: Topology, proxy: string[]): Promise<HostStatus[]> {
  const inits = await hostInits(t);
  return pool(t.hosts, 16, async (h) => {
    const running = inits.has(h.name);
    return { name: h.name, address: h.address, groups: h.groups, running, sshd: running && (await probeSsh(proxy, h.address)) };
  });
}
