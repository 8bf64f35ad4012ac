import { describe, expect, it } from 'vitest';
import route, { linuxRoutePlan, macRoutePlan, normalizeDest, parseMacRouteGet } from '../../src/modules/route.js';
import type { ModuleContext } from '../../src/modules/types.js';

// `route -n get 172.16.1.220` on macOS with the /32 present (format from route(8) on macOS 14).
const macPresent = `   route to: 172.16.1.220
destination: 172.16.1.220
       mask: 255.255.255.255
    gateway: 172.16.1.210
  interface: en0
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>
 recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
       0         0         0         0         0         0      1500         0
`;
// Without it, route get answers with the default route.
const macDefault = `   route to: 172.16.1.220
destination: default
       mask: default
    gateway: 192.168.1.1
  interface: en0
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>
`;

describe('route on macOS (not runnable here: command text and parser)', () => {
  it('parses route -n get', () => {
    expect(parseMacRouteGet(macPresent)).toEqual({ destination: '172.16.1.220', mask: '255.255.255.255', gateway: '172.16.1.210', interface: 'en0' });
    expect(parseMacRouteGet('route: writing to routing socket: not in table\n')).toEqual({});
  });
  it('plans add, nothing, change and delete', () => {
    const a = { dest: '172.16.1.220/32', gateway: '172.16.1.210' };
    expect(macRoutePlan(a, parseMacRouteGet(macDefault))).toEqual([['route', '-n', 'add', '-net', '172.16.1.220/32', '172.16.1.210']]);
    expect(macRoutePlan(a, parseMacRouteGet(macPresent))).toEqual([]);
    expect(macRoutePlan({ ...a, gateway: '172.16.1.211' }, parseMacRouteGet(macPresent))).toEqual([['route', '-n', 'change', '-net', '172.16.1.220/32', '172.16.1.211']]);
    expect(macRoutePlan({ dest: '172.16.1.220', state: 'absent' }, parseMacRouteGet(macPresent))).toEqual([['route', '-n', 'delete', '-net', '172.16.1.220/32']]);
    expect(macRoutePlan({ dest: '172.16.1.220', state: 'absent' }, parseMacRouteGet(macDefault))).toEqual([]);
    // A /24 whose address matches but whose mask differs is not our route.
    expect(macRoutePlan({ dest: '172.16.1.0/24', gateway: '172.16.1.210' }, { destination: '172.16.1.0', mask: '255.255.255.0', gateway: '172.16.1.210' })).toEqual([]);
    expect(macRoutePlan({ dest: '172.16.1.0/25', gateway: '172.16.1.210' }, { destination: '172.16.1.0', mask: '255.255.255.0', gateway: '172.16.1.210' })[0]![2]).toBe('add');
  });

  it('plans from its fact and sends the change through ctx.exec with quoted text (recorded exec)', async () => {
    const scripts: string[] = [];
    const ctx = {
      check: false,
      diff: true,
      exec: async (s: string) => {
        scripts.push(s);
        return { rc: 0, stdout: '', stderr: '' };
      },
    } as unknown as ModuleContext;
    const r = await route.run({ dest: '172.16.1.220/32', gateway: '172.16.1.210' }, ctx, { routes: { mac: true, out: macDefault } });
    expect(r.changed).toBe(true);
    expect(scripts).toEqual(["route '-n' add '-net' 172.16.1.220/32 172.16.1.210"]);
  });
});

describe('route on Linux: plan from ip -j output', () => {
  it('normalises destinations', () => {
    expect(normalizeDest('10.0.0.5')).toBe('10.0.0.5/32');
    expect(normalizeDest('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalizeDest('default')).toBe('default');
  });
  it('matches dst without /32, replaces a wrong gateway, drops other metrics', () => {
    const a = { dest: '172.16.1.220/32', gateway: '172.16.1.210' };
    expect(linuxRoutePlan(a, [{ dst: '172.16.1.220', gateway: '172.16.1.210', dev: 'eth0' }])).toEqual([]);
    expect(linuxRoutePlan(a, [])).toEqual([['ip', 'route', 'replace', '172.16.1.220/32', 'via', '172.16.1.210']]);
    expect(linuxRoutePlan({ ...a, dev: 'eth1' }, [{ dst: '172.16.1.220', gateway: '172.16.1.210', dev: 'eth0' }])).toEqual([['ip', 'route', 'replace', '172.16.1.220/32', 'via', '172.16.1.210', 'dev', 'eth1']]);
    expect(linuxRoutePlan({ ...a, metric: 5 }, [{ dst: '172.16.1.220', gateway: '172.16.1.210', metric: 10 }])).toEqual([
      ['ip', 'route', 'del', '172.16.1.220/32', 'metric', '10'],
      ['ip', 'route', 'replace', '172.16.1.220/32', 'via', '172.16.1.210', 'metric', '5'],
    ]);
    expect(linuxRoutePlan({ dest: '172.16.1.220', state: 'absent' }, [{ dst: '172.16.1.220', gateway: '172.16.1.210' }])).toEqual([['ip', 'route', 'del', '172.16.1.220/32']]);
  });
});
