// The storage host's NFS export, end to end in the lab. The lab's kernel has no NFS (neither nfs
// nor nfsd in /proc/filesystems, no module support), so nfs_server runs its userspace
// implementation, NFS-Ganesha, and the nodes use libnfs's userspace client (nfs-ls, nfs-cp): the
// export, its client list and the handler's restart are real; a kernel mount is not (README: Storage).
// The lab has no storage host: the router's namespace plays one, with a tmpfs as its data disk
// (Ganesha's VFS backend needs file handles, which the lab's overlayfs root cannot give).
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const LONG = 300_000;
const EXPORT = '/srv/nfs/k8s';
let lab: LabInfo;
let dir = '';
let inventory = '';
let nas = '';
let nasAddress = '';
let nodes: string[] = [];
let outsider = '';

const explain = (r: FabricRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const exec = (host: string, script: string) => labExecCapture(host, ['sh', '-c', script], { repoRoot: REPO, name: lab.name });
const mustExec = async (host: string, script: string) => {
  const r = await exec(host, script);
  expect(r.code, `${host}: ${script}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
};
const url = (path = '') => `nfs://${nasAddress}${EXPORT}${path}?version=4`;
const storagePlay = (...extra: string[]) =>
  runFabric(['play', 'playbooks/site.yml', '-i', inventory, '--tags', 'storage', '--skip-tags', 'csi', ...extra], { timeoutMs: LONG });
const verify = () => runFabric(['play', 'playbooks/verify.yml', '-i', inventory, '--tags', 'storage'], { timeoutMs: LONG });

describeLab('storage: the NFS export in the lab (NFS-Ganesha)', () => {
  beforeAll(async () => {
    lab = requireLab();
    const doc = parse(readFileSync(lab.inventoryPath, 'utf8')) as { all: { children: Record<string, any> } };
    const groups = doc.all.children;
    nas = Object.keys(groups.router.hosts)[0]!;
    nasAddress = groups.router.hosts[nas].fabric_host;
    nodes = [...Object.keys(groups.k8s.children.control_plane.hosts), ...Object.keys(groups.k8s.children.workers.hosts)];
    outsider = Object.keys(groups.workstation.hosts)[0]!;
    // The lab's inventory with the router in the storage group, the userspace server chosen there.
    groups.storage = { hosts: { [nas]: { nfs_server_implementation: 'ganesha', nfs_ganesha_graceless: true } } };
    dir = mkdtempSync(join(tmpdir(), 'fabric-storage-'));
    inventory = join(dir, 'inventory.yml');
    writeFileSync(inventory, stringify(doc));
    symlinkSync(join(REPO, 'inventory', 'group_vars'), join(dir, 'group_vars'));
    await mustExec(nas, `mkdir -p ${EXPORT} && (mountpoint -q ${EXPORT} || mount -t tmpfs -o mode=0755 nas-disk ${EXPORT})`);
  }, LONG);

  afterAll(async () => {
    if (!lab) return;
    await exec(nas, `pkill -F /run/ganesha/ganesha.pid ganesha.nfsd; for i in $(seq 50); do pgrep ganesha.nfsd >/dev/null || break; sleep 0.2; done; umount ${EXPORT}; rm -f /etc/ganesha/ganesha.conf`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, LONG);

  it('the storage play starts the export, and a second run changes nothing', async () => {
    const r = await storagePlay();
    expect(r.code, explain(r)).toBe(0);
    expect(recap(r.stdout)[nas]?.changed, r.stdout).toBeGreaterThanOrEqual(1);
    expect(await mustExec(nas, 'cat /etc/ganesha/ganesha.conf')).toContain(`Clients = ${nodes.map((n) => groupsAddress(n)).join(', ')};`);
    const again = await storagePlay();
    expect(again.code, explain(again)).toBe(0);
    expect(recap(again.stdout)[nas], again.stdout).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a node writes through the export and reads what the server holds; a host that is no client is refused', async () => {
    const tag = `w-${Date.now()}`;
    await mustExec(nodes[1]!, `echo ${tag} > /tmp/${tag} && nfs-cp /tmp/${tag} '${url(`/${tag}.txt`)}'`);
    expect(await mustExec(nas, `cat ${EXPORT}/${tag}.txt`)).toBe(`${tag}\n`);
    await mustExec(nas, `echo from-nas > ${EXPORT}/from-nas.txt`);
    expect(await mustExec(nodes[0]!, `nfs-cat '${url('/from-nas.txt')}'`)).toBe('from-nas\n');
    const refused = await exec(outsider, `nfs-ls '${url()}'`);
    expect(refused.code, refused.stdout).not.toBe(0);
    expect(refused.stderr).toMatch(/NFS4ERR_NOENT/);
  });

  it('verify.yml sees the export from every node, names a node it is not given to, and passes again once the play restores it', async () => {
    const ok = await verify();
    expect(ok.code, explain(ok)).toBe(0);
    for (const n of nodes) expect(ok.stdout).toMatch(new RegExp(`ok: \\[${n}\\] => \\(item=${nas}\\)`));

    const last = nodes.at(-1)!;
    const fewer = await storagePlay('-e', JSON.stringify({ nfs_export_hosts: nodes.slice(0, -1) }));
    expect(fewer.code, explain(fewer)).toBe(0);
    expect(fewer.stdout).toMatch(/RUNNING HANDLER \[nfs_server : restart ganesha\.nfsd without systemd\]/);
    const bad = await verify();
    expect(bad.code, explain(bad)).toBe(2);
    expect(bad.stdout).toContain(`${last} cannot list ${EXPORT} on ${nas} (${nasAddress}) over NFSv4`);
    expect(recap(bad.stdout)[nodes[0]!]).toMatchObject({ failed: 0 });

    const back = await storagePlay();
    expect(back.code, explain(back)).toBe(0);
    const ok2 = await verify();
    expect(ok2.code, explain(ok2)).toBe(0);
  });
});

function groupsAddress(host: string): string {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  return h.address;
}
