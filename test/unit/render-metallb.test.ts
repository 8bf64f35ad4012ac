import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO, renderRoleTemplate, seedInventory } from './render-vars.js';

function resources(text: string): Record<string, any>[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });
}

describe('MetalLB resources rendered from the seed inventory', () => {
  const docs = resources(renderRoleTemplate('metallb', 'metallb-config.yaml', 'cp1'));
  const of = (kind: string) => docs.filter((d) => d.kind === kind);

  it('declares the pool from metallb_addresses', () => {
    const [pool] = of('IPAddressPool');
    expect(pool).toMatchObject({
      apiVersion: 'metallb.io/v1beta1',
      metadata: { name: 'lab-pool', namespace: 'metallb-system' },
      spec: { addresses: ['172.16.1.220-172.16.1.250'] },
    });
  });

  it('peers with the router group with eBGP ASNs and short timers (v1beta2 BGPPeer)', () => {
    expect(of('BGPPeer')).toEqual([
      {
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name: 'router1', namespace: 'metallb-system' },
        spec: { myASN: 64513, peerASN: 64512, peerAddress: '172.16.1.210', holdTime: '9s', keepaliveTime: '3s' },
      },
    ]);
  });

  it('advertises the pool (without a BGPAdvertisement nothing is announced)', () => {
    expect(of('BGPAdvertisement')).toMatchObject([{ apiVersion: 'metallb.io/v1beta1', spec: { ipAddressPools: ['lab-pool'] } }]);
    expect(docs).toHaveLength(3);
  });

  it('derives one BGPPeer per router host from the inventory', () => {
    const text = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(
      '        router1:\n          fabric_host: 172.16.1.210\n',
      '        router1:\n          fabric_host: 172.16.1.210\n        router2:\n          fabric_host: 172.16.1.211\n',
    );
    const peers = resources(renderRoleTemplate('metallb', 'metallb-config.yaml', 'cp1', seedInventory(text))).filter((d) => d.kind === 'BGPPeer');
    expect(peers.map((p) => [p.metadata.name, p.spec.peerAddress])).toEqual([
      ['router1', '172.16.1.210'],
      ['router2', '172.16.1.211'],
    ]);
  });
});
