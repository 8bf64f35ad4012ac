// The seed in the lab: lab.yml converges and is idempotent, verify.yml passes, and each fault
// the operator hit (L3 hashing, redirects, a node's BGP down, a BGP password that differs) makes
// verify fail by name and is repaired by the playbook. Kubernetes cannot run here: site.yml is only planned (--check).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { recap, REPO, runFabric, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const VIP = '172.16.1.220';
// Host names come from the lab's inventory (the groups are the contract, not the names).
let K8S: string[] = [];
let ROUTER = '';
let WS = '';
let LAST_WORKER = '';
let LAST_WORKER_IP = '';
const LAB = ['-i', 'inventory/lab.yml'];
const LONG = 300_000;

const play = (book: string, ...extra: string[]) => runFabric(['play', `playbooks/${book}`, ...LAB, ...extra], { timeoutMs: LONG });
const labExec = (host: string, ...cmd: string[]) => runFabric(['lab', 'exec', host, '--', ...cmd]);

function explain(r: FabricRun): string {
  return `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

async function mustExec(host: string, ...cmd: string[]): Promise<string> {
  const r = await labExec(host, ...cmd);
  expect(r.code, `${host}: ${cmd.join(' ')}\n${explain(r)}`).toBe(0);
  return r.stdout;
}

/** Answers per node for n connections from the workstation (each curl: a new source port). */
async function spread(n = 120): Promise<Record<string, number>> {
  const out = await mustExec(WS, 'sh', '-c', `ip route flush cache; for i in $(seq ${n}); do curl -s --max-time 2 http://${VIP}/ || echo no-answer; done`);
  const counts: Record<string, number> = {};
  for (const line of out.split('\n').map((l) => l.trim()).filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

async function expectVerifyFails(message: RegExp): Promise<void> {
  const r = await play('verify.yml');
  expect(r.code, explain(r)).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(message);
}

describeLab('seed playbooks in the lab', () => {
  beforeAll(() => {
    requireLab();
    const inv = loadInventory(join(REPO, 'inventory', 'lab.yml'));
    const g = inv.groups();
    K8S = g.k8s!;
    ROUTER = g.router![0]!;
    WS = g.workstation![0]!;
    LAST_WORKER = g.workers!.at(-1)!;
    LAST_WORKER_IP = String(inv.hostVars(LAST_WORKER).fabric_host);
    expect(K8S).toHaveLength(4);
  }, LONG);

  it('lab.yml converges', async () => {
    const r = await play('lab.yml');
    expect(r.code, explain(r)).toBe(0);
    const hosts = recap(r.stdout);
    expect(Object.keys(hosts).sort()).toEqual([...K8S, ROUTER, WS].sort());
    for (const [h, c] of Object.entries(hosts)) expect(c.failed, h).toBe(0);
  }, LONG);

  it('a second run changes nothing on any host', async () => {
    const r = await play('lab.yml');
    expect(r.code, explain(r)).toBe(0);
    const hosts = recap(r.stdout);
    expect(Object.keys(hosts)).toHaveLength(6);
    for (const [h, c] of Object.entries(hosts)) expect(c.changed, `${h}\n${r.stdout}`).toBe(0);
  }, LONG);

  it('verify.yml passes and 120 connections reach at least 3 nodes', async () => {
    const r = await play('verify.yml');
    expect(r.code, explain(r)).toBe(0);
    const counts = await spread();
    expect(counts['no-answer'], JSON.stringify(counts)).toBeUndefined();
    expect(Object.keys(counts).length, JSON.stringify(counts)).toBeGreaterThanOrEqual(3);
  }, LONG);

  it('with L3 hashing one client lands on one node and verify names the hash policy; --tags router repairs it', async () => {
    await mustExec(ROUTER, 'sysctl', '-w', 'net.ipv4.fib_multipath_hash_policy=0');
    const l3 = await spread();
    expect(Object.keys(l3), JSON.stringify(l3)).toHaveLength(1);
    expect(Object.values(l3)[0]).toBe(120);
    await expectVerifyFails(new RegExp(`fib_multipath_hash_policy is 0 on ${ROUTER}: connections from one client all land on one node`));

    const fix = await play('lab.yml', '--tags', 'router');
    expect(fix.code, explain(fix)).toBe(0);
    expect(recap(fix.stdout)[ROUTER]?.changed).toBeGreaterThanOrEqual(1);
    expect((await mustExec(ROUTER, 'sysctl', '-n', 'net.ipv4.fib_multipath_hash_policy')).trim()).toBe('1');
    const l4 = await spread();
    expect(Object.keys(l4).length, JSON.stringify(l4)).toBeGreaterThanOrEqual(3);
  }, LONG);

  it('verify fails when the router sends ICMP redirects; the router play turns them off', async () => {
    await mustExec(ROUTER, 'sysctl', '-w', 'net.ipv4.conf.all.send_redirects=1');
    await expectVerifyFails(new RegExp(`send_redirects is on for ${ROUTER}`));
    // The router stops sending redirects; the workstation drops the ones it cached meanwhile.
    const fix = await play('lab.yml', '--tags', 'router,workstation');
    expect(fix.code, explain(fix)).toBe(0);
    expect((await mustExec(ROUTER, 'sysctl', '-n', 'net.ipv4.conf.all.send_redirects')).trim()).toBe('0');
  }, LONG);

  it("verify fails naming the node whose BGP is down (w3); the speaker play brings it back", async () => {
    await mustExec(LAST_WORKER, '/usr/lib/frr/frrinit.sh', 'stop');
    await expectVerifyFails(new RegExp(`BGP session with ${LAST_WORKER} \\(${LAST_WORKER_IP.replaceAll('.', '\\.')}\\) is not Established on ${ROUTER}`));
    const fix = await play('lab.yml', '--tags', 'speaker');
    expect(fix.code, explain(fix)).toBe(0);
    const r = await play('verify.yml');
    expect(r.code, explain(r)).toBe(0);
  }, LONG);

  it('a vaulted bgp_password: sessions come up with it on both ends, stay down when the router has another, and verify says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-bgp-vault-'));
    try {
      const SECRET = `md5-${randomBytes(6).toString('hex')}`;
      const pass = join(dir, 'vault-pass');
      writeFileSync(pass, 'lab vault password\n', { mode: 0o600 });
      const enc = await runFabric(['vault', 'encrypt_string', '--vault-password-file', pass, '-n', 'bgp_password', SECRET]);
      expect(enc.code, explain(enc)).toBe(0);
      writeFileSync(join(dir, 'bgp.yml'), enc.stdout);
      const vault = ['--vault-password-file', pass, '-e', `@${join(dir, 'bgp.yml')}`];
      const on = await play('lab.yml', '--tags', 'router,speaker', ...vault, '--diff');
      expect(on.code, explain(on)).toBe(0);
      expect(on.stdout + on.stderr).not.toContain(SECRET);
      expect(await mustExec(ROUTER, 'grep', '-c', `neighbor K8S password ${SECRET}`, '/etc/frr/frr.conf')).toBe('1\n');
      expect(await mustExec(LAST_WORKER, 'grep', '-c', `password ${SECRET}`, '/etc/frr/frr.conf')).toBe('1\n');
      const up = await play('verify.yml', ...vault);
      expect(up.code, explain(up)).toBe(0);

      // The router with another password: TCP MD5 drops every segment, no session comes up.
      const wrong = await play('lab.yml', '--tags', 'router', '-e', 'bgp_password=not-the-vaulted-one');
      expect(wrong.code, explain(wrong)).toBe(0);
      const down = await play('verify.yml', ...vault);
      expect(down.code, explain(down)).not.toBe(0);
      expect(down.stdout).toMatch(new RegExp(`BGP session with ${LAST_WORKER} .* is not Established on ${ROUTER}.*TCP MD5 password \\(bgp_password\\)`));
      expect(down.stdout + down.stderr).not.toContain(SECRET);

      // No password on either end again: the seed's default.
      const off = await play('lab.yml', '--tags', 'router,speaker');
      expect(off.code, explain(off)).toBe(0);
      expect((await labExec(ROUTER, 'grep', '-c', 'password', '/etc/frr/frr.conf')).stdout.trim()).toBe('0');
      const back = await play('verify.yml');
      expect(back.code, explain(back)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, LONG);

  it('site.yml, upgrade.yml and smoke.yml --check plan the Kubernetes parts without running them', async () => {
    const r = await runFabric(['play', 'playbooks/site.yml', ...LAB, '--check'], { timeoutMs: LONG });
    const out = r.stdout + r.stderr;
    expect(r.code, explain(r)).toBe(0);
    expect(out).toMatch(/kubeadm init \(once; admin\.conf marks a done init\)/);
    expect(out).toMatch(/kubeadm join \(once; kubelet\.conf marks a joined node\)/);
    expect(out).toMatch(/Apply the MetalLB manifest/);
    expect(out).toMatch(/Install kubelet, kubeadm and kubectl/);
    const up = await runFabric(['play', 'playbooks/upgrade.yml', ...LAB, '--check', '-e', 'kubernetes_upgrade_version=1.35.2'], { timeoutMs: LONG });
    expect(up.code, explain(up)).toBe(0);
    expect(up.stdout).toMatch(/Install kubeadm 1\.35\.2/);
    expect(recap(up.stdout)[LAST_WORKER]).toMatchObject({ failed: 0, unreachable: 0 });
    const smoke = await runFabric(['play', 'playbooks/smoke.yml', ...LAB, '--check'], { timeoutMs: LONG });
    expect(smoke.code, explain(smoke)).toBe(0);
    // Planned, never run: no node was initialized or joined.
    for (const h of K8S) {
      const t = await labExec(h, 'test', '-e', '/etc/kubernetes/admin.conf', '-o', '-e', '/etc/kubernetes/kubelet.conf');
      expect(t.code, `${h} has kubeadm state after --check`).toBe(1);
    }
  }, LONG);
});
