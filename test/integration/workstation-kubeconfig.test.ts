// The workstation's kubeconfig from the control plane's admin.conf. Kubernetes cannot run in the
// lab, so the lab's control plane gets a stand-in admin.conf (kubeadm's shape, made-up
// certificates): what is tested is the role's own work on real hosts — the read with become, the
// server rewrite, the merge by name with an existing kubeconfig, mode 0600, no key in any output,
// and nothing changed on a second run.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadInventory } from '../../src/inventory/index.js';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const tag = randomBytes(4).toString('hex');
const KEY = Buffer.from(`made-up client key ${tag}`).toString('base64');
const ADMIN_DIR = `/etc/fabric-kc-${tag}`;
const KC_DIR = `/tmp/fabric-kc-${tag}/.kube`;
let lab: LabInfo;
let cp = '';
let ws = '';
let cpAddress = '';

const admin = (server: string) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'kubernetes', cluster: { 'certificate-authority-data': Buffer.from(`ca ${tag}`).toString('base64'), server } }],
  contexts: [{ name: 'kubernetes-admin@kubernetes', context: { cluster: 'kubernetes', user: 'kubernetes-admin' } }],
  'current-context': 'kubernetes-admin@kubernetes',
  users: [{ name: 'kubernetes-admin', user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': KEY } }],
});

const exec = async (host: string, script: string) => {
  const r = await labExecCapture(host, ['sh', '-c', script], { repoRoot: REPO, name: lab.name });
  expect(r.code, `${host}: ${script}\n${r.stderr}`).toBe(0);
  return r.stdout;
};
const play = () =>
  runFabric(['play', 'playbooks/site.yml', '-i', lab.inventoryPath, '--tags', 'kubeconfig', '-e', `kubeconfig=${ADMIN_DIR}/admin.conf`, '-e', `workstation_kubeconfig=${KC_DIR}/config`]);

describeLab('workstation kubeconfig from admin.conf', () => {
  beforeAll(async () => {
    lab = requireLab();
    const inv = loadInventory(lab.inventoryPath);
    [cp, ws] = [inv.groups().control_plane![0]!, inv.groups().workstation![0]!];
    cpAddress = String(inv.hostVars(cp).fabric_host);
    // kubeadm writes the address it advertised; a different one proves the rewrite.
    const text = stringify(admin('https://control-plane.invalid:6443'));
    await exec(cp, `mkdir -p ${ADMIN_DIR} && umask 077 && cat > ${ADMIN_DIR}/admin.conf <<'EOF'\n${text}EOF`);
  });
  afterAll(async () => {
    if (!lab) return;
    await exec(cp, `rm -rf ${ADMIN_DIR}`);
    await exec(ws, `rm -rf /tmp/fabric-kc-${tag}`);
  });

  it('a fresh kubeconfig: the server rewritten, mode 0600, current context set, the key in no output', async () => {
    const r = await play();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const doc = parse(await exec(ws, `cat ${KC_DIR}/config`)) as ReturnType<typeof admin>;
    expect(doc.clusters).toEqual([{ name: 'kubernetes', cluster: { ...admin('').clusters[0]!.cluster, server: `https://${cpAddress}:6443` } }]);
    expect(doc.users[0]!.user['client-key-data']).toBe(KEY);
    expect(doc['current-context']).toBe('kubernetes-admin@kubernetes');
    expect(await exec(ws, `stat -c '%a' ${KC_DIR}/config ${KC_DIR}`)).toBe('600\n700\n');
    const again = await play();
    expect(recap(again.stdout)[ws], again.stdout).toMatchObject({ changed: 0, failed: 0 });
  });

  it('an existing kubeconfig: merged by name, its other clusters and current context kept', async () => {
    const mine = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'home', cluster: { server: 'https://home.invalid:6443' } }, { name: 'kubernetes', cluster: { server: 'https://stale.invalid:6443' } }],
      contexts: [{ name: 'home', context: { cluster: 'home', user: 'me' } }],
      users: [{ name: 'me', user: { token: 'abc' } }],
      'current-context': 'home',
    };
    await exec(ws, `cat > ${KC_DIR}/config <<'EOF'\n${stringify(mine)}EOF`);
    const r = await play();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = parse(await exec(ws, `cat ${KC_DIR}/config`)) as typeof mine;
    expect(doc.clusters.map((c) => [c.name, c.cluster.server])).toEqual([
      ['home', 'https://home.invalid:6443'],
      ['kubernetes', `https://${cpAddress}:6443`],
    ]);
    expect(doc.users.map((u) => u.name)).toEqual(['me', 'kubernetes-admin']);
    expect(doc.contexts.map((c) => c.name)).toEqual(['home', 'kubernetes-admin@kubernetes']);
    expect(doc['current-context']).toBe('home');
    expect(await exec(ws, `stat -c '%a' ${KC_DIR}/config`)).toBe('600\n');
  });
});
