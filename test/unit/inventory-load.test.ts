import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, InputErrors } from '../../src/errors.js';
import { loadInventory, loadInventoryText } from '../../src/inventory/index.js';

const LAB = 'test/fixtures/inventory/lab';
const lab = (opts = {}) => loadInventory(`${LAB}/hosts.yml`, opts);

/** Collects the one-line form of every input error a load throws. */
function loadErrors(text: string, files: Record<string, string> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-inv-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  try {
    loadInventoryText(join(dir, 'hosts.yml'), text);
  } catch (e) {
    if (e instanceof InputErrors) return e.errors.map((x) => x.located.replaceAll(`${dir}/`, ''));
    if (e instanceof InputError) return [e.located.replaceAll(`${dir}/`, '')];
    throw e;
  }
  return [];
}

describe('inventory structure', () => {
  it('lists hosts in first-appearance order and groups including all/ungrouped', () => {
    const inv = lab();
    expect(inv.hostNames).toEqual(['bastion', 'cp1', 'w1', 'w2', 'w3', 'r1']);
    expect(inv.groupNames).toEqual(['all', 'ungrouped', 'k8s', 'control_plane', 'workers', 'router', 'edge']);
    expect(inv.hasHost('w2') && inv.hasGroup('edge') && !inv.hasHost('edge') && !inv.hasGroup('w2')).toBe(true);
  });

  it('computes transitive membership; hosts in several groups appear in each', () => {
    const g = lab().groups();
    expect(g.all).toEqual(['bastion', 'cp1', 'w1', 'w2', 'w3', 'r1']);
    expect(g.k8s).toEqual(['cp1', 'w1', 'w2', 'w3']);
    expect(g.edge).toEqual(['w3', 'r1']);
    expect(g.ungrouped).toEqual(['bastion']);
    expect(g.router).toEqual(['r1']);
  });

  it('hostGroups lists ancestors and all, weakest first (depth, then name)', () => {
    const inv = lab();
    expect(inv.hostGroups('w3')).toEqual(['all', 'edge', 'k8s', 'workers']);
    expect(inv.hostGroups('bastion')).toEqual(['all', 'ungrouped']);
    expect(inv.hostGroups('nope')).toEqual([]);
  });

  it('posOf points at the definition', () => {
    const inv = lab();
    expect(inv.posOf('cp1')).toMatchObject({ file: `${LAB}/hosts.yml`, line: 16, col: 13 });
    expect(inv.posOf('edge')).toMatchObject({ line: 36, col: 1 });
    expect(inv.posOf('zzz')).toBeUndefined();
  });

  it('merges a group defined in two places', () => {
    const inv = loadInventoryText('x/hosts.yml', 'all:\n  children:\n    a:\n      hosts: {h1: }\nb:\n  children:\n    a:\n      hosts: {h2: }\n      vars: {v: 1}\n');
    expect(inv.groups().a).toEqual(['h1', 'h2']);
    expect(inv.groups().b).toEqual(['h1', 'h2']);
    expect(inv.hostVars('h1')).toEqual({ v: 1 });
  });

  it('loads an empty file as an inventory with no hosts', () => {
    const inv = loadInventoryText('x/hosts.yml', '# nothing yet\n');
    expect(inv.hostNames).toEqual([]);
    expect(inv.groups()).toEqual({ all: [], ungrouped: [] });
  });
});

describe('variable precedence', () => {
  it('all < parent < child by depth; same depth: later name wins; host wins', () => {
    const inv = lab();
    expect(inv.hostVars('w3').level).toBe('workers'); // workers (depth 2) beats edge and k8s (depth 1)
    expect(inv.hostVars('r1').level).toBe('router'); // edge and router are both depth 1: router sorts later
    expect(inv.hostVars('cp1').level).toBe('k8s');
    expect(inv.hostVars('bastion').level).toBe('all');
    expect(inv.hostVars('w3').zone).toBe('dmz');
  });

  it('group_vars files override inline vars of the same group, not deeper groups', () => {
    const inv = lab();
    expect(inv.hostVars('bastion').role).toBe('from-all-file');
    expect(inv.hostVars('cp1').role).toBe('control-plane');
    expect(inv.hostVars('cp1').pod_cidr).toBe('10.245.0.0/16');
    expect(inv.hostVars('cp1').kube_version).toBe('1.30');
    expect(inv.hostVars('w2')).not.toHaveProperty('ignored');
  });

  it('reads a group_vars directory in name order', () => {
    const v = lab().hostVars('w2');
    expect(v.labels).toEqual(['worker', 'more']);
    expect(v.kubelet_extra).toBe('base');
  });

  it('host_vars files override inline host vars; YAML 1.2 keeps yes a string', () => {
    const v = lab().hostVars('w1');
    expect(v.fabric_port).toBe(2212);
    expect(v.special).toBe('yes');
  });

  it('playbook-side group_vars/host_vars win over inventory-side ones', () => {
    const inv = lab({ playbookDirs: [`${LAB}/playbooks`] });
    expect(inv.hostVars('w2').kubelet_extra).toBe('from-playbook');
    expect(inv.hostVars('w1').special).toBe('playbook');
    expect(inv.hostVarOrigins('w1').special).toBe(`${LAB}/playbooks/host_vars/w1.yml:1`);
  });

  it('reports where each winning value came from', () => {
    const o = lab().hostVarOrigins('w1');
    expect(o.fabric_port).toBe(`${LAB}/host_vars/w1.yml:1`);
    expect(o.role).toBe(`${LAB}/hosts.yml:28 (group workers)`);
    expect(o.pod_cidr).toBe(`${LAB}/group_vars/k8s.yaml:3`);
    expect(o.fabric_user).toBe(`${LAB}/hosts.yml:3 (group all)`);
    expect(lab().hostVarOrigins('cp1').fabric_host).toBe(`${LAB}/hosts.yml:17`);
  });

  it('hands out copies: mutating a result does not change the inventory', () => {
    const inv = lab();
    const v = inv.hostVars('w2');
    (v.labels as string[]).push('x');
    v.role = 'changed';
    expect(inv.hostVars('w2').labels).toEqual(['worker', 'more']);
    expect(inv.hostVars('w2').role).toBe('worker');
  });

  it('loads 100 hosts, each with its own vars', () => {
    // Speed is measured in bench/, not asserted here (DESIGN.md); this checks the shape at scale.
    const hosts = Array.from({ length: 100 }, (_, i) => `        h${i}: {fabric_port: ${2000 + i}}`).join('\n');
    const inv = loadInventoryText('x/hosts.yml', `all:\n  vars: {a: 1}\n  children:\n    g:\n      hosts:\n${hosts}\n`);
    expect(inv.hostNames).toHaveLength(100);
    expect(inv.hostVars('h99')).toEqual({ a: 1, fabric_port: 2099 });
    expect(inv.groups().g).toEqual(inv.hostNames);
  });
});

describe('inventory errors', () => {
  it('unknown key inside a group: file:line and did-you-mean', () => {
    expect(loadErrors('all:\n  children:\n    k8s:\n      host:\n        cp1:\n')).toEqual([
      "hosts.yml:4:7: unknown key 'host' in all.children.k8s (did you mean 'hosts'?)",
    ]);
  });

  it('wrong types of connection vars and group parts', () => {
    const errs = loadErrors('all:\n  hosts:\n    a:\n      fabric_port: "22"\n      fabric_connection: sssh\n  children: [x]\n');
    expect(errs).toContain('hosts.yml:4:20: all.hosts.a.fabric_port must be integer, not "22"');
    expect(errs).toContain('hosts.yml:5:26: all.hosts.a.fabric_connection must be one of "ssh", "local", not "sssh"');
    expect(errs).toContain('hosts.yml:6:13: all.children must be object,null, not ["x"]');
  });

  it('templated values are not judged by type', () => {
    expect(loadErrors('all:\n  vars: {fabric_port: "{{ base + 1 }}"}\n')).toEqual([]);
  });

  it('invalid host and group names', () => {
    expect(loadErrors('all:\n  hosts:\n    "bad host":\n    10.0.0.1:\n    "fe80::1":\n  children:\n    1bad:\n    k-8s:\n')).toEqual([
      "hosts.yml:3:5: invalid host name 'bad host' (use letters, digits, '_', '.', '-', or an IP address)",
      "hosts.yml:7:5: invalid group name '1bad' (use a letter or '_' followed by letters, digits or '_')",
      "hosts.yml:8:5: invalid group name 'k-8s' (use a letter or '_' followed by letters, digits or '_')",
    ]);
  });

  it('a group that is its own ancestor', () => {
    const errs = loadErrors('all:\n  children:\n    a:\n      children:\n        b:\n    b:\n      children:\n        a:\n');
    expect(errs).toEqual(["hosts.yml:8:9: group 'a' is its own ancestor (a → b → a)"]);
  });

  it('all cannot be a child; a host may share a group name, as in Ansible', () => {
    expect(loadErrors('g:\n  children:\n    all:\n')).toEqual(["hosts.yml:3:5: group 'all' cannot be a child of 'g'"]);
    expect(loadErrors('router:\n  hosts:\n    router:\n')).toEqual([]);
  });

  it('hosts/vars/children at the top level get a hint', () => {
    expect(loadErrors('hosts:\n  a:\n')).toEqual([
      "hosts.yml:1:1: top-level key 'hosts' would be a group named 'hosts': top-level keys are groups (put 'hosts:' under 'all:')",
    ]);
  });

  it('non-mapping inventory, duplicate keys and YAML syntax errors', () => {
    expect(loadErrors('- a\n- b\n')[0]).toMatch(/^hosts.yml:1:1: an inventory must be a mapping/);
    expect(loadErrors('all:\n  hosts:\n    a:\n    a:\n')[0]).toMatch(/^hosts.yml:\d+:\d+: YAML syntax: Map keys must be unique/);
  });

  it('vars files must be mappings and are type-checked, at their own file:line', () => {
    expect(loadErrors('all:\n  hosts: {a: }\n', { 'group_vars/all.yml': '- x\n' })).toEqual([
      'group_vars/all.yml:1:1: vars file group_vars/all.yml must be a mapping of variable names to values',
    ]);
    expect(loadErrors('all:\n  hosts: {a: }\n', { 'host_vars/a/main.yml': 'x: 1\nfabric_become: "yes"\n' })).toEqual([
      'host_vars/a/main.yml:2:16: fabric_become must be boolean, not "yes"',
    ]);
  });
});
