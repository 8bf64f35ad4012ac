// playbooks/smoke.yml cannot run here (no Kubernetes): the resources it applies, rendered for the
// seed's control plane, and the per-node report from a pod list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { lazyTemplatedVars } from '../../src/vars/lazy-vars.js';
import { renderDeep, renderString } from '../../src/vars/template.js';
import { hostVarsFor, REPO, seedInventory } from './render-vars.js';

type Play = { hosts: string; vars: Record<string, unknown>; tasks: Record<string, unknown>[] };
const file = join(REPO, 'playbooks', 'smoke.yml');
const plays = parse(readFileSync(file, 'utf8')) as Play[];
const where = { file, line: 1, col: 1 };

describe('smoke.yml as rendered for the seed cluster', () => {
  const [cluster, workstation] = plays as [Play, Play];
  const vars = { ...hostVarsFor(seedInventory(), 'cp1', 'metallb'), ...cluster.vars };
  const apply = cluster.tasks.find((t) => 'kubectl_apply' in t)!.kubectl_apply as { definition: unknown[] };
  const docs = renderDeep(apply.definition, vars, where) as Record<string, any>[];

  it('a Namespace, nginx answering with its pod name, 4 replicas spread by node, a LoadBalancer Service', () => {
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ConfigMap', 'Deployment', 'Service']);
    expect(docs[1]!.data['default.conf']).toContain('return 200 "$hostname\\n";');
    const deploy = docs[2]!;
    expect(deploy.spec.replicas).toBe(4);
    expect(deploy.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(docs[3]!.spec).toEqual({ type: 'LoadBalancer', selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 80 }] });
    expect(new Set(docs.map((d) => d.metadata.namespace ?? d.metadata.name))).toEqual(new Set(['smoke']));
  });

  it('reports which node answered as which pod', () => {
    const pods = { items: ['w1', 'w2', 'w3', 'cp1'].map((n, i) => ({ metadata: { name: `nginx-${i}` }, spec: { nodeName: n } })) };
    const ws = lazyTemplatedVars({ ...workstation.vars, groups: { control_plane: ['cp1'] }, hostvars: { cp1: { smoke_pods: { stdout: JSON.stringify(pods) }, smoke_svc: { stdout: '172.16.1.220' } } } }, new Set(['groups', 'hostvars']));
    expect(renderString('{{ smoke_pod_nodes }}', ws, where)).toEqual(['nginx-0 on w1', 'nginx-1 on w2', 'nginx-2 on w3', 'nginx-3 on cp1']);
    expect(renderString('{{ smoke_ip }}', ws, where)).toBe('172.16.1.220');
  });
});
