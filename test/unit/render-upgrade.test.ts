// playbooks/upgrade.yml cannot run here (no Kubernetes): the commands it would run are checked as
// rendered from the seed inventory for the control plane and a worker, with the conditions that
// pick them, and the drain's kubectl command as k8s_drain builds it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { drainCommand, type K8sDrainArgs } from '../../src/modules/k8s_drain.js';
import { compileCondition } from '../../src/vars/conditions.js';
import { renderDeep } from '../../src/vars/template.js';
import { hostVarsFor, REPO, seedInventory } from './render-vars.js';

type Task = Record<string, unknown> & { name: string; when?: string; loop?: unknown; delegate_to?: string };
const file = join(REPO, 'roles', 'kubeadm_upgrade', 'tasks', 'main.yml');
const tasks = parse(readFileSync(file, 'utf8')) as Task[];
const where = { file, line: 1, col: 1 };

function varsFor(host: string, version = '1.35.2') {
  return { ...hostVarsFor(seedInventory(), host, 'kubeadm_upgrade'), kubernetes_upgrade_version: version, ansible_check_mode: false, kubeadm_upgrade_admin: { stat: { exists: true } }, kubeadm_upgrade_kubelet: { stat: { exists: true } } };
}

/** The tasks that would run on host, each rendered: [name, module args, delegate_to]. */
function planFor(host: string, version?: string): { name: string; module: string; args: unknown; delegate?: unknown }[] {
  const vars = varsFor(host, version);
  return tasks
    .filter((t) => t.when === undefined || compileCondition(t.when, where).evaluate(vars))
    .map((t) => {
      const module = Object.keys(t).find((k) => !['name', 'when', 'loop', 'delegate_to', 'register', 'changed_when', 'until', 'retries', 'delay'].includes(k))!;
      // A loop renders its arguments once per item: the list of them.
      const items = t.loop === undefined ? undefined : (renderDeep(t.loop, vars, where) as unknown[]);
      const args = items ? items.map((item) => renderDeep(t[module], { ...vars, item }, where)) : renderDeep(t[module], vars, where);
      return { name: renderDeep(t.name, vars, where) as string, module, args, ...(t.delegate_to ? { delegate: renderDeep(t.delegate_to, vars, where) } : {}) };
    });
}

describe('upgrade.yml as rendered for the seed cluster', () => {
  it('runs the control plane first and alone, then the workers one at a time, stopping at a failed node', () => {
    const plays = parse(readFileSync(join(REPO, 'playbooks', 'upgrade.yml'), 'utf8')) as Record<string, unknown>[];
    expect(plays.map((p) => [p.hosts, p.serial, p.max_fail_percentage, p.become])).toEqual([
      ['control_plane', 1, 0, true],
      ['workers', 1, 0, true],
    ]);
  });

  it('cp1: kubeadm upgrade apply, in kubeadm\'s order', () => {
    const plan = planFor('cp1').filter((t) => t.module !== 'stat' && t.module !== 'assert');
    expect(plan.map((t) => [t.module, t.args])).toEqual([
      ['dpkg_selections', { name: 'kubeadm', selection: 'install' }],
      ['apt', { name: 'kubeadm=1.35.2-1.1', update_cache: true }],
      ['dpkg_selections', { name: 'kubeadm', selection: 'hold' }],
      ['command', 'kubeadm upgrade apply v1.35.2 --yes'],
      ['kubernetes.core.k8s_drain', { name: 'cp1', state: 'drain', delete_options: { ignore_daemonsets: true, delete_emptydir_data: true, wait_timeout: 600 }, kubeconfig: '/etc/kubernetes/admin.conf' }],
      ['dpkg_selections', [{ name: 'kubelet', selection: 'install' }, { name: 'kubectl', selection: 'install' }]],
      ['apt', { name: ['kubelet=1.35.2-1.1', 'kubectl=1.35.2-1.1'] }],
      ['dpkg_selections', [{ name: 'kubelet', selection: 'hold' }, { name: 'kubectl', selection: 'hold' }]],
      ['systemd_service', { name: 'kubelet', state: 'restarted', daemon_reload: true }],
      ['kubernetes.core.k8s_drain', { name: 'cp1', state: 'uncordon', kubeconfig: '/etc/kubernetes/admin.conf' }],
      ['command', { argv: ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', 'cp1', '-o', 'jsonpath={.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}'] }],
    ]);
  });

  it('w2: kubeadm upgrade node, drained and uncordoned from the control plane', () => {
    const plan = planFor('w2');
    expect(plan.filter((t) => t.module === 'command').map((t) => t.args)).toContainEqual('kubeadm upgrade node');
    expect(plan.some((t) => t.args === 'kubeadm upgrade apply v1.35.2 --yes')).toBe(false);
    const drain = plan.find((t) => t.name === 'Drain the node')!;
    expect(drain.delegate).toBe('cp1');
    expect(drainCommand(drain.args as K8sDrainArgs)).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'drain', 'w2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=600s']);
  });

  it('refuses a release of another minor, before anything is touched', () => {
    const check = tasks[0]!;
    const that = (check.assert as { that: string[] }).that;
    const holds = (v: string) => that.every((c) => compileCondition(c, where).evaluate(varsFor('cp1', v)));
    expect(holds('1.35.2')).toBe(true);
    expect(holds('1.36.0')).toBe(false);
    expect(holds('v1.35.2')).toBe(false);
    expect(holds('')).toBe(false);
  });
});
