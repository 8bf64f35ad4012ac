import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type ModuleResult } from './types.js';

export interface RouteArgs {
  dest: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  state?: 'present' | 'absent';
}

const IPV4 = '(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}';

/** `10.0.0.5` means the host route `10.0.0.5/32`; `default` stays as it is. */
export function normalizeDest(dest: string): string {
  return dest === 'default' || dest.includes('/') ? dest : `${dest}/32`;
}

/** What `ip -j route show` prints for dest: a /32 comes back without its prefix length. */
function ipDst(dest: string): string {
  return dest.endsWith('/32') ? dest.slice(0, -3) : dest === '0.0.0.0/0' ? 'default' : dest;
}

export interface LinuxRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
}

/** Linux: the routes for exactly dest and the commands that make them match args. */
export function linuxRoutePlan(args: RouteArgs, routes: LinuxRoute[]): string[][] {
  const dest = normalizeDest(args.dest);
  const mine = routes.filter((r) => r.dst === ipDst(dest));
  if ((args.state ?? 'present') === 'absent') return mine.map((r) => ['ip', 'route', 'del', dest, ...(r.metric !== undefined ? ['metric', String(r.metric)] : [])]);
  const matches = (r: LinuxRoute) =>
    r.gateway === args.gateway && (args.dev === undefined || r.dev === args.dev) && (r.metric ?? 0) === (args.metric ?? 0);
  if (mine.length === 1 && matches(mine[0]!)) return [];
  // The metric is part of a route's key: routes with another metric would stay beside ours.
  const stale = mine.filter((r) => (r.metric ?? 0) !== (args.metric ?? 0));
  return [
    ...stale.map((r) => ['ip', 'route', 'del', dest, ...(r.metric !== undefined ? ['metric', String(r.metric)] : [])]),
    ['ip', 'route', 'replace', dest, 'via', args.gateway!, ...(args.dev ? ['dev', args.dev] : []), ...(args.metric !== undefined ? ['metric', String(args.metric)] : [])],
  ];
}

export interface MacRoute {
  destination?: string;
  mask?: string;
  gateway?: string;
  interface?: string;
}

/** Parses `route -n get DEST` (macOS): `key: value` lines; no route prints an error and nothing to parse. */
export function parseMacRouteGet(out: string): MacRoute {
  const r: MacRoute = {};
  for (const line of out.split('\n')) {
    const m = /^\s*(destination|mask|gateway|interface):\s*(\S+)/.exec(line);
    if (m) r[m[1] as keyof MacRoute] = m[2];
  }
  return r;
}

function maskOf(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/** macOS: `route get` answers with the best match (maybe the default route), so check destination and mask. */
export function macRoutePlan(args: RouteArgs, now: MacRoute): string[][] {
  const dest = normalizeDest(args.dest);
  const [addr, len] = dest === 'default' ? ['default', 0] : [dest.split('/')[0]!, Number(dest.split('/')[1])];
  const exact = now.destination === addr && (addr === 'default' || (now.mask ?? '255.255.255.255') === maskOf(len));
  if ((args.state ?? 'present') === 'absent') return exact ? [['route', '-n', 'delete', '-net', dest]] : [];
  if (exact && now.gateway === args.gateway) return [];
  return [['route', '-n', exact ? 'change' : 'add', '-net', dest, args.gateway!]];
}

/**
 * The routes to dest: `ip -j route show` on Linux, `route -n get` on macOS (told apart without
 * starting a program: only Linux has /proc/sys).
 */
const routeFact = defineFact(
  (dest: string) =>
    `if [ -d /proc/sys ]; then ip -j route show ${shellJoin([dest])}; else echo mac; route -n get ${shellJoin([dest === 'default' ? 'default' : dest.split('/')[0]!])} 2>/dev/null; true; fi`,
  (r) => {
    const mac = r.stdout.startsWith('mac\n');
    if (!mac && r.rc !== 0) throw new Error(`ip route show failed: ${r.stderr.trim()}`);
    return { mac, out: mac ? r.stdout.slice(4) : r.stdout };
  },
);

export default defineModule({
  name: 'route',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    properties: {
      dest: { type: 'string', pattern: `^(default|${IPV4}(/(3[0-2]|[12]?\\d))?)$`, description: 'IPv4 destination: CIDR, an address (= /32) or default.' },
      gateway: { type: 'string', pattern: `^${IPV4}$`, description: 'Next hop address.' },
      dev: { type: 'string', pattern: '^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]*$', description: 'Linux: outgoing interface.' },
      metric: { type: 'integer', minimum: 0, description: 'Linux: route metric (default 0).' },
      state: { enum: ['present', 'absent'] },
    },
  },
  validate(args: RouteArgs) {
    if ((args.state ?? 'present') === 'present' && !args.gateway) throw new InputError("route: 'gateway' is required when state is present");
  },
  facts: (args: RouteArgs) => ({ routes: routeFact(normalizeDest(args.dest)) }),
  async run(args, ctx, { routes: probe }) {
    const { mac } = probe;
    const dest = normalizeDest(args.dest);
    let plan: string[][];
    let before: string;
    if (mac) {
      const now = parseMacRouteGet(probe.out);
      plan = macRoutePlan(args, now);
      before = now.destination ? `${now.destination} mask ${now.mask ?? '-'} via ${now.gateway ?? '-'}\n` : '';
    } else {
      const routes = probe.out.trim() ? (JSON.parse(probe.out) as LinuxRoute[]) : [];
      plan = linuxRoutePlan(args, routes);
      before = routes.map((r) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'} metric ${r.metric ?? 0}\n`).join('');
    }
    const after = (args.state ?? 'present') === 'absent' ? '' : `${dest} via ${args.gateway}${args.dev ? ` dev ${args.dev}` : ''}${args.metric !== undefined ? ` metric ${args.metric}` : ''}\n`;
    const out: ModuleResult = { changed: plan.length > 0, dest, ...(ctx.diff && plan.length ? { diff: [{ before, after }] } : {}) };
    if (!plan.length || ctx.check) return out;
    const r = await ctx.exec(plan.map((c) => shellJoin(c)).join(' && '));
    if (r.rc !== 0) return { ...out, failed: true, rc: r.rc, stderr: r.stderr, msg: `route change failed: ${r.stderr.trim()}` };
    return out;
  },
});
