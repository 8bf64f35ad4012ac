/**
 * Link conditions of a lab (`fabric lab up --delay 20ms --loss 1%`, or per host `--delay w1=50ms`):
 * the round-trip time and loss the controller's SSH path to each host sees (src/lab/delay-proxy.ts
 * says why it is emulated there and not with tc netem).
 */
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

export interface LinkCondition {
  /** Round-trip time added, in ms. */
  delayMs: number;
  /** Share of segments lost, in percent. */
  lossPct: number;
}

/** host name ('*' for every host) -> its condition. */
export type LinkConditions = Record<string, LinkCondition>;

function parseOne(spec: string, what: 'delay' | 'loss'): [string, number] {
  const eq = spec.indexOf('=');
  const [host, value] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : ['*', spec];
  const m = what === 'delay' ? /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value) : /^(\d+(?:\.\d+)?)%?$/.exec(value);
  if (!m) throw new InputError(`--${what} '${spec}': expected ${what === 'delay' ? '20ms or HOST=20ms' : '1% or HOST=1%'}`);
  const n = Number(m[1]) * (what === 'delay' && m[2] === 's' ? 1000 : 1);
  if (what === 'loss' && n >= 100) throw new InputError(`--loss '${spec}': must be under 100%`);
  return [host, n];
}

/** The --delay and --loss flags as conditions per host; a host's own value beats the one for all. */
export function parseLinks(delays: string[] = [], losses: string[] = []): LinkConditions {
  const out: LinkConditions = {};
  const at = (h: string) => (out[h] ??= { delayMs: 0, lossPct: 0 });
  for (const d of delays) {
    const [h, n] = parseOne(d, 'delay');
    at(h).delayMs = n;
  }
  for (const l of losses) {
    const [h, n] = parseOne(l, 'loss');
    at(h).lossPct = n;
  }
  return out;
}

export function linkOf(links: LinkConditions | undefined, host: string): LinkCondition | undefined {
  const all = links?.['*'];
  const own = links?.[host];
  if (!all && !own) return undefined;
  const c = { delayMs: own?.delayMs || all?.delayMs || 0, lossPct: own?.lossPct || all?.lossPct || 0 };
  return c.delayMs || c.lossPct ? c : undefined;
}

/** The proxy argv for a host behind a slow link: this build's delay-proxy under the same node. */
export function delayProxyArgv(proxyNs: string, c: LinkCondition): string[] {
  // ../lab/ from dist/lab/ and from the bundle's chunks in dist/bundle/ alike.
  const script = fileURLToPath(new URL('../lab/delay-proxy.js', import.meta.url));
  return ['ip', 'netns', 'exec', proxyNs, process.execPath, script, String(c.delayMs), String(c.lossPct), '%h', '%p'];
}
