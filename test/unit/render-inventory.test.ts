import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/vars/template.js';
import { hostVarsFor, seedInventory } from './render-vars.js';

describe('seed inventory', () => {
  const inv = seedInventory();
  const where = { file: 'render-inventory.test.ts', line: 1, col: 1 };

  it('has the seed groups with k8s = control plane + workers', () => {
    const g = inv.groups();
    expect(g.control_plane).toEqual(['cp1']);
    expect(g.workers).toEqual(['w1', 'w2', 'w3']);
    expect(g.k8s).toEqual(['cp1', 'w1', 'w2', 'w3']);
    expect(g.router).toEqual(['router']);
    expect(g.workstation).toEqual(['workstation']);
    expect(inv.hostVars('workstation').fabric_connection).toBe('local');
  });

  it('metallb_test_address is the pool first address (what the lab speakers announce)', () => {
    const vars = hostVarsFor(inv, 'router', 'frr_router');
    expect(renderText('{{range_first metallb_addresses}}', vars, where)).toBe(vars.metallb_test_address);
  });

  it('workstation routes cover exactly the pool via the router', () => {
    const vars = hostVarsFor(inv, 'workstation', 'workstation_route');
    expect(renderText("{{ hostvar groups.router.[0] 'fabric_host' }}", vars, where)).toBe('172.16.1.210');
    expect(renderText('{{#each (cidrs metallb_addresses)}}{{this}} {{/each}}', vars, where).trim().split(' ')).toEqual([
      '172.16.1.220/30',
      '172.16.1.224/28',
      '172.16.1.240/29',
      '172.16.1.248/31',
      '172.16.1.250/32',
    ]);
  });
});
