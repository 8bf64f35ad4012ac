// The storage roles cannot serve or mount NFS with the kernel here (README: Storage). What they
// render from the seed inventory: /etc/exports, NFS-Ganesha's config, the StorageClass, the
// kubectl script that installs csi-driver-nfs; their input checks; site.yml's plan of them on the
// seed inventory and on the lab's (an empty storage group); verify.yml's parse of `exportfs -v`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/index.js';
import { kubectlApplyScript, manifestOf } from '../../src/modules/kubectl_apply.js';
import { buildPlan } from '../../src/plan/index.js';
import { forEachTask } from '../../src/plan/walk.js';
import { lazyTemplatedVars } from '../../src/vars/lazy-vars.js';
import { compileCondition } from '../../src/vars/conditions.js';
import { renderDeep, renderString, renderText } from '../../src/vars/template.js';
import { REPO, roleDefaults, seedInventory } from './render-vars.js';

type Task = Record<string, any> & { name: string };
const tasksOf = (role: string) => parse(readFileSync(join(REPO, 'roles', role, 'tasks', 'main.yml'), 'utf8')) as Task[];
const where = { file: 'render-storage', line: 1, col: 1 };
const NODES = ['172.16.1.201', '172.16.1.202', '172.16.1.203', '172.16.1.204'];

/** A role's variables on host, with overrides at inventory level (so derived defaults follow them). */
function varsFor(role: string, host: string, overrides: Record<string, unknown> = {}, inv: Inventory = seedInventory()) {
  const hostvars = Object.fromEntries(inv.hostNames.map((h) => [h, inv.hostVars(h)]));
  const base = { ...roleDefaults(role), ...inv.hostVars(host), ...overrides, inventory_hostname: host, groups: inv.groups(), hostvars };
  return lazyTemplatedVars(base, new Set(['inventory_hostname', 'groups', 'hostvars']));
}
const template = (role: string, name: string, vars: Record<string, unknown>) => {
  const file = join(REPO, 'roles', role, 'templates', name);
  return renderText(readFileSync(file, 'utf8'), vars, { file, line: 1, col: 1 });
};
/** The first task's assert, evaluated: true when every condition holds. */
const inputOk = (role: string, vars: Record<string, unknown>) =>
  (tasksOf(role)[0]!.assert.that as string[]).every((c) => compileCondition(c, where).evaluate(vars));

const TWO_NAS = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(
  '          fabric_host: 172.16.1.205\n',
  '          fabric_host: 172.16.1.205\n        nas2:\n          fabric_host: 172.16.1.206\n',
);
const LAB_SHAPE = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(/    storage:\n      hosts:\n        nas:\n          fabric_host: 172\.16\.1\.205\n/, '    storage: {}\n');

describe('nfs_server as rendered for the seed storage host', () => {
  it('/etc/exports: the export to each k8s node by its address, with the options', () => {
    expect(template('nfs_server', 'exports', varsFor('nfs_server', 'nas')).split('\n').slice(1)).toEqual([
      `/srv/nfs/k8s ${NODES.map((a) => `${a}(rw,sync,no_subtree_check,no_root_squash)`).join(' ')}`,
      '',
    ]);
  });

  it('NFS-Ganesha: the same path and clients; rw and no_root_squash mapped, and ro/root_squash too', () => {
    const conf = template('nfs_server', 'ganesha.conf', varsFor('nfs_server', 'nas'));
    expect(conf).toContain('  Path = "/srv/nfs/k8s";\n  # Clients see the export at the same path as on the kernel server (the StorageClass\'s share).\n  Pseudo = "/srv/nfs/k8s";');
    expect(conf).toContain(`    Clients = ${NODES.join(', ')};\n    Access_Type = RW;`);
    expect(conf).toContain('  Squash = No_Root_Squash;');
    expect(conf).toContain('  Graceless = false;');
    const ro = template('nfs_server', 'ganesha.conf', varsFor('nfs_server', 'nas', { nfs_export_options: ['ro', 'sync'], nfs_export_hosts: ['w1'], nfs_ganesha_graceless: 'true' }));
    expect(ro).toContain('  Graceless = true;');
    expect(ro).toContain('    Clients = 172.16.1.202;\n    Access_Type = RO;');
    expect(ro).toContain('  Squash = Root_Squash;');
  });

  it('bad input is refused before anything is installed', () => {
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas'))).toBe(true);
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas', { nfs_server_implementation: 'knfsd' }))).toBe(false);
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas', { nfs_export_path: 'srv/nfs' }))).toBe(false);
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas', { nfs_export_path: '/' }))).toBe(false);
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas', { nfs_export_path: '/srv/my share' }))).toBe(false);
    expect(inputOk('nfs_server', varsFor('nfs_server', 'nas', { nfs_export_hosts: [] }))).toBe(false);
  });
});

describe('csi_nfs as rendered for the seed control plane', () => {
  const tasks = tasksOf('csi_nfs');
  const sc = tasks.find((t) => t.kubectl_apply?.definition)!.kubectl_apply;

  it('a default StorageClass whose server and share are the storage host and its export', () => {
    const doc = renderDeep(sc.definition, varsFor('csi_nfs', 'cp1'), where);
    expect(doc).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'nfs-csi', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'nfs.csi.k8s.io',
      parameters: { server: '172.16.1.205', share: '/srv/nfs/k8s' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      allowVolumeExpansion: true,
      mountOptions: ['nfsvers=4.1'],
    });
    const other = renderDeep(sc.definition, varsFor('csi_nfs', 'cp1', { csi_nfs_server: '192.0.2.7', csi_nfs_default_class: false }), where) as any;
    expect([other.parameters.server, other.metadata.annotations['storageclass.kubernetes.io/is-default-class']]).toEqual(['192.0.2.7', 'false']);
  });

  it('refuses two storage hosts without csi_nfs_server, and a bad share or reclaim policy', () => {
    expect(inputOk('csi_nfs', varsFor('csi_nfs', 'cp1'))).toBe(true);
    const two = seedInventory(TWO_NAS);
    expect(two.groups().storage).toEqual(['nas', 'nas2']);
    expect(inputOk('csi_nfs', varsFor('csi_nfs', 'cp1', {}, two))).toBe(false);
    expect(inputOk('csi_nfs', varsFor('csi_nfs', 'cp1', { csi_nfs_server: 'nas.example' }, two))).toBe(true);
    expect(inputOk('csi_nfs', varsFor('csi_nfs', 'cp1', { csi_nfs_share: 'k8s' }))).toBe(false);
    expect(inputOk('csi_nfs', varsFor('csi_nfs', 'cp1', { csi_nfs_reclaim_policy: 'Recycle' }))).toBe(false);
  });

  it("installs upstream's v4.13.4 manifests from files/, then waits for the controller and the node plugin", () => {
    const apply = tasks.find((t) => t.kubectl_apply?.src)!.kubectl_apply;
    const { text, objects } = manifestOf(readFileSync(join(REPO, 'roles', 'csi_nfs', 'files', apply.src), 'utf8'));
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ServiceAccount/csi-nfs-controller-sa',
      'ServiceAccount/csi-nfs-node-sa',
      'ClusterRole/nfs-external-provisioner-role',
      'ClusterRoleBinding/nfs-csi-provisioner-binding',
      'ClusterRole/nfs-external-resizer-role',
      'ClusterRoleBinding/nfs-csi-resizer-role',
      'CSIDriver/nfs.csi.k8s.io',
      'Deployment/csi-nfs-controller',
      'DaemonSet/csi-nfs-node',
    ]);
    expect([...text.matchAll(/image: (registry\.k8s\.io\/sig-storage\/nfsplugin:\S+)/g)].map((m) => m[1])).toEqual(Array(2).fill('registry.k8s.io/sig-storage/nfsplugin:v4.13.4'));
    const args = { ...apply, kubeconfig: '/etc/kubernetes/admin.conf', wait_timeout: 300 };
    const run = kubectlApplyScript(args, text, objects, false, 'n0nce');
    const tail = run.split('\n').slice(run.split('\n').indexOf('FABRIC_EOF_n0nce') + 1);
    expect(tail).toEqual([
      `kubectl '--kubeconfig' /etc/kubernetes/admin.conf diff -f "$f"; rc=$?`,
      'if [ "$rc" -eq 0 ]; then echo @@state=same; exit 0; fi',
      'if [ "$rc" -ne 1 ]; then echo "kubectl diff failed (rc $rc)" >&2; exit "$rc"; fi',
      'echo @@state=differs',
      "kubectl '--kubeconfig' /etc/kubernetes/admin.conf apply --server-side --field-manager=fabric -f \"$f\" >&2 || exit $?",
      'echo @@state=applied',
      "kubectl '--kubeconfig' /etc/kubernetes/admin.conf rollout status '--namespace' kube-system deployment/csi-nfs-controller '--timeout=300s' >&2 || exit $?",
      "kubectl '--kubeconfig' /etc/kubernetes/admin.conf rollout status '--namespace' kube-system daemonset/csi-nfs-node '--timeout=300s' >&2 || exit $?",
    ]);
    // The shell's quoting of flags (shellJoin) aside, these are the commands; --check: kubectl diff only.
    expect(kubectlApplyScript(args, text, objects, true, 'n0nce')).not.toMatch(/apply|rollout/);
  });
});

describe('site.yml plans the storage plays', () => {
  const plan = (inv: Inventory) =>
    buildPlan({ playbooks: [join(REPO, 'playbooks', 'site.yml')], inventory: inv, tags: { tags: ['storage'], skipTags: [] }, extraVars: {} });
  const hostsAndTasks = async (inv: Inventory) =>
    (await plan(inv)).plays
      .map((p) => {
        const names: string[] = [];
        for (const s of p.sections) forEachTask(s, (t) => names.push(t.info.name));
        return { hosts: p.hosts, names };
      })
      .filter((p) => p.names.length);

  it('seed inventory: the NFS server on nas, then csi-driver-nfs on cp1; k8s nodes get nfs-common', async () => {
    const plays = await hostsAndTasks(seedInventory());
    expect(plays.map((p) => p.hosts)).toEqual([['nas'], ['cp1']]);
    expect(plays[0]!.names).toContain('/etc/exports from inventory (the k8s nodes\' addresses)');
    expect(plays[1]!.names).toContain('Apply csi-driver-nfs v4.13.4 (upstream\'s manifests, kept in files/)');
    const node = tasksOf('k8s_node').find((t) => t.apt?.name?.includes('containerd'))!;
    expect(node.apt.name).toContain('nfs-common');
  });

  it("the lab's shape, an empty storage group: planned on no host, no undefined variable; no driver without a server", async () => {
    const inv = seedInventory(LAB_SHAPE);
    expect(inv.groups().storage).toEqual([]);
    const all = (await plan(inv)).plays;
    expect(all.find((p) => p.name === 'NFS exports on the storage host')!.hosts).toEqual([]);
    const csi = all.find((p) => p.name.startsWith('csi-driver-nfs'))!;
    const conds: boolean[] = [];
    for (const s of csi.sections) forEachTask(s, (t) => conds.push(t.when.every((c) => c.evaluate({ groups: inv.groups(), csi_nfs_server: '' }))));
    expect(conds.length).toBeGreaterThan(0);
    expect(conds.every((c) => c === false)).toBe(true);
    // verify.yml too: its storage play targets the empty group.
    const verify = await buildPlan({ playbooks: [join(REPO, 'playbooks', 'verify.yml')], inventory: inv, tags: { tags: ['storage'], skipTags: [] }, extraVars: {} });
    expect(verify.plays.filter((p) => p.name.startsWith('Verify the storage')).map((p) => [p.name, p.hosts.length])).toEqual([
      ['Verify the storage exports', 0],
      ['Verify the storage exports from the nodes (NFS-Ganesha)', 4],
    ]);
  });
});

describe('verify.yml: the clients of the export, from `exportfs -v`', () => {
  const play = (parse(readFileSync(join(REPO, 'playbooks', 'verify.yml'), 'utf8')) as { name: string; vars?: Record<string, string> }[]).find((p) => p.name === 'Verify the storage exports')!;
  // Real output of nfs-utils 2.6.2's `exportfs -v` (a path over 14 characters puts its client on the next line).
  const out = readFileSync(join(REPO, 'test', 'fixtures', 'exportfs-v.txt'), 'utf8');
  const clients = (stdout: string, path: string) => renderString(play.vars!.verify_export_clients!, { verify_exports: { stdout }, storage_export_path: path }, where);

  it('lists the clients of the export path, and only of it', () => {
    expect(clients(out, '/srv/nfs/k8s')).toEqual(['172.16.1.201', '172.16.1.202']);
    expect(clients(out, '/srv/nfs/a-much-longer-path')).toEqual(['172.16.1.203']);
    expect(clients(out, '/srv/nfs')).toEqual([]);
  });
  it('no export table (nothing exported, or the probe skipped): no client, not an error', () => {
    expect(clients('', '/srv/nfs/k8s')).toEqual([]);
  });
});
