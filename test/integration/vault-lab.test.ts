// A play on lab hosts with a vault-encrypted group_vars file: the secret reaches the hosts; without
// the password the run stops with exit 5 before any connection (a proxy wrapper records each one).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { REPO, runFabric, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const tag = randomBytes(4).toString('hex');
const SECRET = `bgp-secret-${tag}`;
const DEST = `/tmp/fabric-vault-${tag}`;
const explain = (r: FabricRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

let lab: LabInfo;
let dir: string;
let workers: string[];
const marker = (h: string) => join(dir, `connected-${h}`);

describeLab('vaulted group_vars on the lab', () => {
  beforeAll(async () => {
    lab = requireLab();
    workers = lab.hosts.filter((h) => h.groups.includes('workers')).map((h) => h.name).slice(0, 2);
    dir = mkdtempSync(join(tmpdir(), 'fabric-vault-lab-'));
    writeFileSync(join(dir, 'pw'), 'lab vault password\n');
    mkdirSync(join(dir, 'group_vars', 'workers'), { recursive: true });
    mkdirSync(join(dir, 'host_vars'));
    writeFileSync(join(dir, 'group_vars', 'workers', 'vault.yml'), `vault_bgp_password: ${SECRET}\n`);
    const enc = await runFabric(['vault', 'encrypt', '--vault-password-file', join(dir, 'pw'), join(dir, 'group_vars', 'workers', 'vault.yml')]);
    expect(enc.code, explain(enc)).toBe(0);
    // Each host's proxy is wrapped: the wrapper leaves a marker, then runs the lab's own proxy.
    for (const h of workers) {
      const argv = ['sh', '-c', `touch ${marker(h)}; exec "$@"`, 'sh', ...lab.proxyCommand];
      writeFileSync(join(dir, 'host_vars', `${h}.yml`), `fabric_proxy_command: ${JSON.stringify(argv)}\n`);
    }
    writeFileSync(
      join(dir, 'pb.yml'),
      `- hosts: workers
  gather_facts: false
  tasks:
    - copy: {dest: ${DEST}, content: "password={{ vault_bgp_password }}\\n", mode: "0600"}
`,
    );
  });

  afterAll(async () => {
    for (const h of workers ?? []) await labExecCapture(h, ['rm', '-f', DEST], { repoRoot: REPO, name: lab.name });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without the password: exit 5 naming the file, and no host was connected to', async () => {
    const r = await runFabric(['play', join(dir, 'pb.yml'), '-i', lab.inventoryPath, '-l', workers.join(',')], { env: { FABRIC_VAULT_PASSWORD_FILE: '' } });
    expect(r.code, explain(r)).toBe(5);
    expect(r.stderr).toMatch(/group_vars\/workers\/vault\.yml:1:1: .*is vault-encrypted and no vault password was given/);
    for (const h of workers) expect(existsSync(marker(h)), h).toBe(false);
  });

  it('with it: the secret reaches every worker, through the wrapped proxy', async () => {
    const r = await runFabric(['play', join(dir, 'pb.yml'), '-i', lab.inventoryPath, '-l', workers.join(','), '--vault-password-file', join(dir, 'pw')]);
    expect(r.code, explain(r)).toBe(0);
    for (const h of workers) {
      expect(existsSync(marker(h)), h).toBe(true);
      const onHost = await labExecCapture(h, ['cat', DEST], { repoRoot: REPO, name: lab.name });
      expect(onHost.stdout).toBe(`password=${SECRET}\n`);
    }
    // A rerun changes nothing: the vault opens to the same value.
    const again = await runFabric(['play', join(dir, 'pb.yml'), '-i', lab.inventoryPath, '-l', workers.join(','), '--vault-id', `default@${join(dir, 'pw')}`]);
    expect(again.code, explain(again)).toBe(0);
    expect(again.stdout).toMatch(/changed=0/);
  });
});
