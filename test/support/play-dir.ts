import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFabric, type FabricRun } from './fabric.js';
import type { TestSshd } from './sshd.js';

/** Inventory hosts that all reach the real test sshd, a scratch dir `base` and a way to run a playbook text against them. */
export interface PlayDir {
  dir: string;
  inv: string;
  base: string;
  play(text: string, args?: string[]): Promise<FabricRun>;
  /** Empties base (between tests). */
  reset(): void;
  remove(): void;
}

export function playDir(sshd: TestSshd, hosts: string[], vars: Record<string, string> = {}): PlayDir {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-play-'));
  const base = join(dir, 'ran');
  const inv = join(dir, 'inventory.yml');
  const extra = Object.entries(vars).map(([k, v]) => `    ${k}: ${v}\n`).join('');
  writeFileSync(
    inv,
    `all:
  vars:
    fabric_host: 127.0.0.1
    fabric_port: ${sshd.port}
    fabric_user: root
    fabric_ssh_key: ${sshd.keyFile}
    fabric_known_hosts: ${sshd.knownHostsFile}
    base: ${base}
${extra}  children:
    nodes:
      hosts: {${hosts.map((h) => `${h}: {}`).join(', ')}}
`,
  );
  const reset = () => {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base);
  };
  reset();
  return {
    dir,
    inv,
    base,
    reset,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    play(text, args = []) {
      const pb = join(dir, 'pb.yml');
      writeFileSync(pb, text);
      return runFabric(['play', pb, '-i', inv, ...args]);
    },
  };
}
