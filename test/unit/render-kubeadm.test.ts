import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderRoleTemplate } from './render-vars.js';

describe('kubeadm.yaml rendered for cp1 from the seed inventory', () => {
  const docs = parseAllDocuments(renderRoleTemplate('kubeadm_control_plane', 'kubeadm.yaml', 'cp1')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });
  const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

  it('holds the three documents kubeadm init reads', () => {
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual([
      'kubeadm.k8s.io/v1beta4 InitConfiguration',
      'kubeadm.k8s.io/v1beta4 ClusterConfiguration',
      'kubelet.config.k8s.io/v1beta1 KubeletConfiguration',
    ]);
  });

  it('advertises and registers the control plane on its own address', () => {
    const init = byKind('InitConfiguration');
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: '172.16.1.201', bindPort: 6443 });
    expect(init.nodeRegistration.name).toBe('cp1');
    // v1beta4: kubeletExtraArgs is a name/value list, not a map.
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '172.16.1.201' }]);
  });

  it('sets controlPlaneEndpoint from the start and Flannel-compatible subnets', () => {
    const cluster = byKind('ClusterConfiguration');
    expect(cluster.controlPlaneEndpoint).toBe('172.16.1.201:6443');
    expect(cluster.networking).toEqual({ podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' });
    expect(cluster.kubernetesVersion).toMatch(/^v1\.35\.\d+$/);
  });

  it('uses the systemd cgroup driver, like containerd with SystemdCgroup = true', () => {
    expect(byKind('KubeletConfiguration').cgroupDriver).toBe('systemd');
  });
});
