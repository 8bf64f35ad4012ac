import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/index.js';
import { renderDeep } from '../../src/vars/template.js';
import { hostVarsFor, REPO, seedInventory } from './render-vars.js';

interface Task {
  name: string;
  loop?: string;
  kubectl_apply?: { definition?: unknown };
}

/** Every kubectl_apply definition of roles/metallb, rendered for cp1 (looped tasks once per item). */
function metallbResources(inv: Inventory = seedInventory()): Record<string, any>[] {
  const file = join(REPO, 'roles', 'metallb', 'tasks', 'main.yml');
  const tasks = parse(readFileSync(file, 'utf8')) as Task[];
  const vars = hostVarsFor(inv, 'cp1', 'metallb');
  const where = { file, line: 1, col: 1 };
  const out: Record<string, any>[] = [];
  for (const t of tasks.filter((t) => t.kubectl_apply?.definition)) {
    const items = t.loop === undefined ? [undefined] : (renderDeep(t.loop, vars, where) as unknown[]);
    for (const item of items) out.push(renderDeep(t.kubectl_apply!.definition, item === undefined ? vars : { ...vars, item }, where) as Record<string, any>);
  }
  return out;
}

describe('MetalLB resources rendered from the seed inventory', () => {
  const docs = metallbResources();
  const of = (kind: string) => docs.filter((d) => d.kind === kind);

  it('declares the pool from metallb_addresses', () => {
    expect(of('IPAddressPool')).toEqual([
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'lab-pool', namespace: 'metallb-system' },
        spec: { addresses: ['172.16.1.220-172.16.1.250'] },
      },
    ]);
  });

  it('peers with the router group with eBGP ASNs (numbers) and short timers (v1beta2 BGPPeer)', () => {
    expect(of('BGPPeer')).toEqual([
      {
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name: 'router', namespace: 'metallb-system' },
        // no bgp_password in the seed: an empty secret name is no password to MetalLB
        spec: { myASN: 64513, peerASN: 64512, peerAddress: '172.16.1.210', holdTime: '9s', keepaliveTime: '3s', passwordSecret: { name: '', namespace: 'metallb-system' }, bfdProfile: 'fast' },
      },
    ]);
  });

  it('keeps bgp_password in a basic-auth Secret the BGPPeer points at, never in the BGPPeer (TCP MD5 with the router)', () => {
    const text = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(/^( +)fabric_host: /gm, '$1bgp_password: "md5-S3cret"\n$1fabric_host: ');
    const docs = metallbResources(seedInventory(text));
    expect(docs.filter((d) => d.kind === 'Secret')).toEqual([
      { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/basic-auth', metadata: { name: 'bgp-router-password', namespace: 'metallb-system' }, stringData: { password: 'md5-S3cret' } },
    ]);
    const peers = docs.filter((d) => d.kind === 'BGPPeer');
    expect(peers.map((p) => p.spec.passwordSecret)).toEqual([{ name: 'bgp-router-password', namespace: 'metallb-system' }]);
    expect(JSON.stringify(peers)).not.toContain('md5-S3cret');
  });

  it('applies the Secret only with a password, and never shows it', () => {
    const tasks = parse(readFileSync(join(REPO, 'roles', 'metallb', 'tasks', 'main.yml'), 'utf8')) as (Task & { when?: string; no_log?: boolean })[];
    const secret = tasks.find((t) => (t.kubectl_apply?.definition as { kind?: string } | undefined)?.kind === 'Secret')!;
    expect(secret.no_log).toBe(true);
    expect(secret.when).toContain('bgp_password | length > 0');
  });

  it('advertises the pool (without a BGPAdvertisement nothing is announced)', () => {
    expect(of('BGPAdvertisement')).toMatchObject([{ apiVersion: 'metallb.io/v1beta1', spec: { ipAddressPools: ['lab-pool'] } }]);
    expect(docs).toHaveLength(5); // pool, BFD profile, Secret, peer, advertisement
  });

  it('a BFDProfile with the short timers the router uses (numbers)', () => {
    expect(of('BFDProfile')).toEqual([
      { apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: { name: 'fast', namespace: 'metallb-system' }, spec: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 } },
    ]);
  });

  it('derives one BGPPeer per router host from the inventory', () => {
    const text = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(
      '        router:\n          fabric_host: 172.16.1.210\n',
      '        router:\n          fabric_host: 172.16.1.210\n        router2:\n          fabric_host: 172.16.1.211\n',
    );
    const peers = metallbResources(seedInventory(text)).filter((d) => d.kind === 'BGPPeer');
    expect(peers.map((p) => [p.metadata.name, p.spec.peerAddress])).toEqual([
      ['router', '172.16.1.210'],
      ['router2', '172.16.1.211'],
    ]);
  });
});
