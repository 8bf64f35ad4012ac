import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderRoleTemplate, REPO, seedInventory } from './render-vars.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-frr-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** FRR's own dry run: parses every line without daemons (domain.md §5). */
function vtyshCheck(text: string, name: string): { status: number | null; output: string } {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = spawnSync('vtysh', ['-C', '-f', file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const lines = (text: string) => text.split('\n').map((l) => l.trimEnd());

describe('router frr.conf rendered from the seed inventory', () => {
  const conf = renderRoleTemplate('frr_router', 'frr.conf', 'router');

  it('has one neighbor per k8s host, in the K8S peer-group', () => {
    const neighbors = lines(conf).filter((l) => / peer-group K8S$/.test(l) && /\d+\.\d+/.test(l));
    expect(neighbors).toEqual(['201', '202', '203', '204'].map((o) => ` neighbor 172.16.1.${o} peer-group K8S`));
    expect(lines(conf)).toContain(' neighbor K8S remote-as 64513');
    expect(lines(conf)).toContain(' neighbor K8S timers 3 9');
    expect(lines(conf)).toContain('router bgp 64512');
    expect(lines(conf)).toContain(' bgp router-id 172.16.1.210');
  });

  it('accepts only the pool host routes (prefix-list covers .220-.250 exactly)', () => {
    expect(lines(conf).filter((l) => l.startsWith('ip prefix-list'))).toEqual([
      'ip prefix-list METALLB-POOL permit 172.16.1.220/30 ge 32',
      'ip prefix-list METALLB-POOL permit 172.16.1.224/28 ge 32',
      'ip prefix-list METALLB-POOL permit 172.16.1.240/29 ge 32',
      'ip prefix-list METALLB-POOL permit 172.16.1.248/31 ge 32',
      'ip prefix-list METALLB-POOL permit 172.16.1.250/32 ge 32',
    ]);
    expect(conf).toContain('  neighbor K8S route-map K8S-IN in\n');
    expect(conf).toContain('  neighbor K8S route-map K8S-OUT out\n');
    expect(conf).toContain('  maximum-paths 16\n');
  });

  it('passes vtysh -C', () => {
    const r = vtyshCheck(conf, 'router.conf');
    expect(r.output).not.toMatch(/Unknown command/);
    expect(r.status).toBe(0);
  });

  it('a broken config fails vtysh -C (the validate step would keep the live file)', () => {
    const broken = conf.replace(' bgp log-neighbor-changes', ' bgp log-neighbour-changes');
    expect(broken).not.toBe(conf);
    const r = vtyshCheck(broken, 'broken.conf');
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/Unknown command/);
  });
});

describe('lab speaker frr.conf (MetalLB FRR-mode shape) for w2', () => {
  const conf = renderRoleTemplate('lab_speaker', 'frr.conf', 'w2');

  it('peers with the router from its own router-id and announces the first pool address', () => {
    expect(lines(conf)).toEqual(
      expect.arrayContaining([
        'hostname w2',
        'router bgp 64513',
        ' bgp router-id 172.16.1.203',
        ' neighbor 172.16.1.210 remote-as 64512',
        '  neighbor 172.16.1.210 route-map 172.16.1.210-out out',
        'ip prefix-list 172.16.1.210-allowed-ipv4 seq 1 permit 172.16.1.220/32',
        '  network 172.16.1.220/32',
      ]),
    );
  });

  it('passes vtysh -C', () => {
    const r = vtyshCheck(conf, 'w2.conf');
    expect(r.output).not.toMatch(/Unknown command/);
    expect(r.status).toBe(0);
  });
});

describe('bgp_password: TCP MD5 on both ends of every session', () => {
  const text = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(/^( +)fabric_host: /gm, '$1bgp_password: "md5-S3cret"\n$1fabric_host: ');
  const inv = seedInventory(text);
  const router = renderRoleTemplate('frr_router', 'frr.conf', 'router', inv);
  const speaker = renderRoleTemplate('lab_speaker', 'frr.conf', 'w1', inv);

  it('the router sets it on the peer-group, each speaker on its router neighbor; both pass vtysh -C', () => {
    expect(lines(router)).toContain(' neighbor K8S password md5-S3cret');
    expect(lines(speaker)).toContain(' neighbor 172.16.1.210 password md5-S3cret');
    for (const [conf, name] of [[router, 'pw-router.conf'], [speaker, 'pw-w1.conf']] as const) expect(vtyshCheck(conf, name).status).toBe(0);
  });

  it('unset (the default, empty), no password line is rendered', () => {
    expect(renderRoleTemplate('frr_router', 'frr.conf', 'router')).not.toContain('password');
    expect(renderRoleTemplate('lab_speaker', 'frr.conf', 'w1')).not.toContain('password');
  });
});

describe('BFD: the same profile on both ends of every session', () => {
  it('on by default: a bfd profile with the inventory timers, used by the peer-group and by each speaker', () => {
    const router = lines(renderRoleTemplate('frr_router', 'frr.conf', 'router'));
    const speaker = lines(renderRoleTemplate('lab_speaker', 'frr.conf', 'w1'));
    for (const conf of [router, speaker]) {
      const at = conf.indexOf('bfd');
      expect(conf.slice(at, at + 7)).toEqual(['bfd', ' profile fast', '  transmit-interval 300', '  receive-interval 300', '  detect-multiplier 3', ' exit', 'exit']);
    }
    expect(router).toContain(' neighbor K8S bfd profile fast');
    expect(speaker).toContain(' neighbor 172.16.1.210 bfd profile fast');
  });

  it('bfd_enabled false (or the string "false" that -e bfd_enabled=false gives): no bfd line at all', () => {
    const text = readFileSync(join(REPO, 'inventory', 'hosts.yml'), 'utf8').replace(/^( +)fabric_host: /gm, '$1bfd_enabled: "false"\n$1fabric_host: ');
    const inv = seedInventory(text);
    expect(renderRoleTemplate('frr_router', 'frr.conf', 'router', inv)).not.toMatch(/bfd/);
    expect(renderRoleTemplate('lab_speaker', 'frr.conf', 'w1', inv)).not.toMatch(/bfd/);
  });
});
