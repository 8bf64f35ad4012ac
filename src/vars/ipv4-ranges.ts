/** IPv4 ranges and CIDR covers for the `cidrs`/`range_first` template helpers (FRR prefix-lists). */

export function parseIpv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  const octets = m ? m.slice(1).map(Number) : [];
  if (!m || octets.some((o) => o > 255)) throw new Error(`'${s}' is not an IPv4 address`);
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Inclusive [first, last] of `a.b.c.d-e.f.g.h`, `a.b.c.d/n` (no host bits) or a single address. */
export function parseIpv4Range(s: string): [number, number] {
  const text = s.trim();
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const first = parseIpv4(text.slice(0, dash));
    const last = parseIpv4(text.slice(dash + 1));
    if (first > last) throw new Error(`range '${s}' ends before it starts`);
    return [first, last];
  }
  const slash = text.indexOf('/');
  if (slash < 0) {
    const a = parseIpv4(text);
    return [a, a];
  }
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) throw new Error(`'${s}' has an invalid prefix length`);
  const base = parseIpv4(text.slice(0, slash));
  const size = 2 ** (32 - Number(prefix));
  if (base % size !== 0) throw new Error(`'${s}' has host bits set (network is ${formatIpv4(base - (base % size))}/${prefix})`);
  return [base, base + size - 1];
}

/** The fewest CIDR blocks that exactly cover [first, last]: largest aligned block at each step. */
export function coverRange(first: number, last: number): string[] {
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 2 ** 32;
    while (start % size !== 0 || start + size - 1 > last) size /= 2;
    out.push(`${formatIpv4(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return out;
}

function asRanges(spec: unknown): string[] {
  if (typeof spec === 'string') return [spec];
  if (Array.isArray(spec) && spec.every((x) => typeof x === 'string')) return spec as string[];
  throw new Error(`expected an IPv4 range, CIDR or list of them, got ${JSON.stringify(spec) ?? 'undefined'}`);
}

/** CIDRs covering a range, a CIDR or a list of those, in the given order. */
export function cidrsOf(spec: unknown): string[] {
  return asRanges(spec).flatMap((r) => coverRange(...parseIpv4Range(r)));
}

/** First address of a range/CIDR (the first one of a list). */
export function rangeFirst(spec: unknown): string {
  const ranges = asRanges(spec);
  if (!ranges.length) throw new Error('expected at least one range, got an empty list');
  return formatIpv4(parseIpv4Range(ranges[0]!)[0]);
}
