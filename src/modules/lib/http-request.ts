import { str } from '../../vars/py.js';

/** Python's urlencode(doseq=True) of a mapping or a list of pairs: quote_plus keeps only letters, digits and `_.-~`. */
export function formUrlencoded(body: unknown): string {
  if (typeof body === 'string') return body;
  const pairs: [unknown, unknown][] = Array.isArray(body) ? (body as [unknown, unknown][]) : Object.entries(body as Record<string, unknown>);
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  const out: string[] = [];
  for (const [k, v] of pairs) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) if (x !== null && x !== undefined) out.push(`${enc(str(k))}=${enc(str(x))}`);
  }
  return out.join('&');
}

/** A value inside a curl config file's double quotes (curl's escapes: \\ \" \t \n \r \v). */
export function curlConfigString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\v/g, '\\v')}"`;
}

export interface ResponseHead {
  httpVersion: string;
  status: number;
  reason: string;
  /** lowercase name -> value; repeated headers joined with ", " (as Python's HTTPMessage items). */
  headers: Record<string, string>;
}

/** The last response of curl's -D dump (a redirect or an auth challenge dumps one block per response). */
export function lastResponseHead(dump: string): ResponseHead | undefined {
  const blocks = dump.split(/\r?\n\r?\n/).filter((b) => /^HTTP\/\S+ \d{3}/.test(b.trimStart()));
  const last = blocks.pop();
  if (!last) return undefined;
  const [statusLine = '', ...rest] = last.trimStart().split(/\r?\n/);
  const m = /^HTTP\/(\S+) (\d{3}) ?(.*)$/.exec(statusLine)!;
  const headers: Record<string, string> = {};
  for (const line of rest) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  return { httpVersion: m[1]!, status: Number(m[2]), reason: m[3]!.trim(), headers };
}

/** Ansible's JSON_CANDIDATES test on a Content-Type: a json or javascript subtype, or a +json suffix. */
export function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const sub = contentType.split(';')[0]!.trim().toLowerCase().split('/')[1] ?? '';
  const tail = sub.includes('+') ? sub.slice(sub.indexOf('+') + 1) : sub;
  return tail === 'json' || tail === 'javascript';
}

/** The charset a Content-Type names (utf-8 when none). */
export function charsetOf(contentType: string | undefined): BufferEncoding {
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '');
  const cs = (m?.[1] ?? 'utf-8').toLowerCase();
  return cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii' || cs === 'ascii' ? 'latin1' : 'utf8';
}

/** A Location made absolute against the request URL, as Ansible's absolute_location. */
export function absoluteLocation(url: string, location: string): string {
  try {
    return new URL(location, url).toString();
  } catch {
    return location;
  }
}
