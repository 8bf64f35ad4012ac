import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { isTemplated } from '../vars/template.js';
import { printfWrite } from './lib/atomic.js';
import { tempPrefix } from './lib/file-state.js';
import { absoluteLocation, charsetOf, curlConfigString, formUrlencoded, isJsonType, lastResponseHead } from './lib/http-request.js';
import { defineModule, type ModuleResult } from './types.js';

export interface UriArgs {
  url: string;
  method?: string;
  body?: unknown;
  body_format?: 'raw' | 'json' | 'form-urlencoded';
  headers?: Record<string, string | number | boolean>;
  status_code?: number | number[];
  return_content?: boolean;
  validate_certs?: boolean;
  timeout?: number;
  dest?: string;
  force_basic_auth?: boolean;
  url_username?: string;
  url_password?: string;
  follow_redirects?: 'all' | 'no' | 'none' | 'safe' | 'urllib2' | 'yes';
}

/** The request as it goes to curl: what is secret (URL, headers, credentials, body) travels in files, never in argv. */
export interface UriRequest {
  /** curl's -K config: url, headers, user. */
  config: string;
  body?: Buffer;
  argv: string[];
  statusCodes: number[];
}

const statusCodes = (s: UriArgs['status_code']) => (s === undefined ? [200] : Array.isArray(s) ? s : [s]);

/** The request Ansible's uri would send for these arguments, as curl options. */
export function uriRequest(a: UriArgs, dir: string): UriRequest {
  const method = (a.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  let body: string | undefined;
  const format = a.body_format ?? 'raw';
  if (a.body !== undefined && a.body !== null) {
    if (format === 'json') {
      body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      if (!hasType) headers['Content-Type'] = 'application/json';
    } else if (format === 'form-urlencoded') {
      body = formUrlencoded(a.body);
      if (!hasType) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else body = typeof a.body === 'string' ? a.body : String(a.body);
  }
  const config = [`url = ${curlConfigString(a.url)}`, ...Object.entries(headers).map(([k, v]) => `header = ${curlConfigString(`${k}: ${v}`)}`)];
  if (a.url_username !== undefined) config.push(`user = ${curlConfigString(`${a.url_username}:${a.url_password ?? ''}`)}`);
  const follow = a.follow_redirects ?? 'safe';
  const follows = ['all', 'yes', 'urllib2'].includes(follow) || (follow === 'safe' && (method === 'GET' || method === 'HEAD'));
  const argv = ['curl', '-sS', '-K', `${dir}/k`, '-o', `${dir}/o`, '-D', `${dir}/h`, '-w', '%{http_code} %{num_redirects} %{url_effective}', '--max-time', String(a.timeout ?? 30)];
  // curl sends a body as POST; any other method is named (a GET with a body too).
  if (method === 'HEAD' && body === undefined) argv.push('--head');
  else if (!(method === 'POST' && body !== undefined) && !(method === 'GET' && body === undefined)) argv.push('-X', method);
  if (body !== undefined) argv.push('--data-binary', `@${dir}/b`);
  if (follows) argv.push('-L', '--max-redirs', '50');
  if (a.validate_certs === false) argv.push('-k');
  // Without force_basic_auth the credentials wait for the server's 401, as Python's urllib does.
  if (a.url_username !== undefined) argv.push(a.force_basic_auth ? '--basic' : '--anyauth');
  return { config: `${config.join('\n')}\n`, ...(body !== undefined ? { body: Buffer.from(body, 'utf8') } : {}), argv, statusCodes: statusCodes(a.status_code) };
}

/**
 * One round trip: a private temp dir, curl's config and the body written into it by printf (a
 * builtin, so neither is on a command line), curl, then what came back: exit code, write-out,
 * stderr, headers and (without dest) the body, base64. With dest, an accepted answer that differs
 * from dest replaces it atomically.
 */
export function uriScript(a: UriArgs, dir = `/tmp/.fabric-uri-${randomBytes(8).toString('hex')}`): string {
  const req = uriRequest(a, dir);
  const q = quote(dir);
  const lines = [
    'export LC_ALL=C',
    "command -v curl >/dev/null 2>&1 || { echo 'uri runs curl on the host, and it has none (Debian: apt-get install curl)' >&2; exit 3; }",
    `mkdir -m 700 -- ${q} || exit 2`,
    `trap ${quote(`rm -rf -- ${q}`)} EXIT`,
    `(umask 077\n${printfWrite(Buffer.from(req.config), `${dir}/k`)}\n${req.body ? printfWrite(req.body, `${dir}/b`) : ''}\n) || exit 2`,
    `${shellJoin(req.argv)} > ${quote(`${dir}/w`)} 2> ${quote(`${dir}/e`)}; rc=$?`,
    `touch ${quote(`${dir}/h`)} ${quote(`${dir}/o`)}`,
    'echo "@@rc=$rc"',
    `printf '@@w=%s\\n' "$(cat ${quote(`${dir}/w`)})"`,
    `echo @@e; base64 < ${quote(`${dir}/e`)}`,
    `echo @@h; base64 < ${quote(`${dir}/h`)}`,
  ];
  if (a.dest !== undefined) {
    const d = quote(a.dest);
    const tmp = quote(`${tempPrefix(a.dest)}${randomBytes(6).toString('hex')}`);
    const ok = req.statusCodes.filter((c) => c !== 304).join('|') || 'none';
    lines.push(
      `code=$(cut -d' ' -f1 < ${quote(`${dir}/w`)})`,
      `if [ "$rc" = 0 ]; then case $code in ${ok})`,
      `  if [ -d ${d} ]; then echo @@dest=directory`,
      `  elif cmp -s -- ${quote(`${dir}/o`)} ${d}; then echo @@dest=same`,
      `  elif cp -- ${quote(`${dir}/o`)} ${tmp} && { [ ! -e ${d} ] || chmod --reference=${d} -- ${tmp}; } && mv -f -- ${tmp} ${d}; then echo @@dest=written`,
      `  else rm -f -- ${tmp}; echo @@dest=failed; fi;;`,
      'esac; fi',
    );
    // The body is only needed when it decides the result: JSON, return_content, or an error status.
    lines.push(`echo @@b; if [ "$(wc -c < ${quote(`${dir}/o`)})" -le 1048576 ]; then base64 < ${quote(`${dir}/o`)}; fi`);
  } else lines.push(`echo @@b; base64 < ${quote(`${dir}/o`)}`);
  lines.push('exit 0');
  return lines.join('\n');
}

/** What the script printed, parsed. */
export function parseUriOutput(stdout: string): { rc: number; code: number; redirects: number; effective: string; stderr: string; head: string; body: Buffer; dest?: string } {
  const rc = Number(/^@@rc=(\d+)$/m.exec(stdout)?.[1] ?? -1);
  const w = /^@@w=(\d+) (\d+) (.*)$/m.exec(stdout);
  const section = (name: string, next: string) => {
    const i = stdout.indexOf(`\n@@${name}\n`);
    if (i < 0) return '';
    const j = stdout.indexOf(`\n@@${next}`, i + 1);
    return stdout.slice(i + name.length + 4, j < 0 ? undefined : j).replace(/\s+/g, '');
  };
  const b64 = (s: string) => Buffer.from(s, 'base64');
  return {
    rc,
    code: Number(w?.[1] ?? 0),
    redirects: Number(w?.[2] ?? 0),
    effective: w?.[3] ?? '',
    stderr: b64(section('e', 'h')).toString('utf8').trim(),
    head: b64(section('h', stdout.includes('\n@@dest=') ? 'dest=' : 'b')).toString('latin1'),
    body: b64(section('b', 'none')),
    dest: /^@@dest=(\w+)$/m.exec(stdout)?.[1],
  };
}

/** Result keys a response header may not overwrite. */
const RESERVED = new Set(['changed', 'failed', 'skipped', 'msg', 'status', 'url', 'content', 'json', 'elapsed', 'redirected', 'rc', 'diff', 'path', 'cookies']);

/** The result Ansible's uri returns for what curl got (status -1 when the request itself failed). */
export function uriResult(a: UriArgs, out: ReturnType<typeof parseUriOutput>, elapsed: number): ModuleResult {
  const codes = statusCodes(a.status_code);
  const base: ModuleResult = { changed: false, url: a.url, elapsed, redirected: false, status: -1 };
  if (out.rc !== 0 || out.code === 0) {
    const msg = `Request failed: ${out.stderr || `curl exit ${out.rc}`}`;
    return { ...base, failed: !codes.includes(-1), msg: codes.includes(-1) ? msg : `Status code was -1 and not ${JSON.stringify(codes).replace(/,/g, ', ')}: ${msg}` };
  }
  const head = lastResponseHead(out.head);
  const headers = head?.headers ?? {};
  const result: ModuleResult = { ...base, url: out.effective || a.url, redirected: (out.effective || a.url) !== a.url, status: out.code };
  for (const [k, v] of Object.entries(headers)) {
    const key = k.replace(/-/g, '_');
    if (!RESERVED.has(key)) result[key] = key === 'location' ? absoluteLocation(out.effective || a.url, v) : v;
  }
  const cookies: Record<string, string> = {};
  for (const c of (headers['set-cookie'] ?? '').split(/,\s*(?=[^;=\s]+=)/)) {
    const m = /^\s*([^=;\s]+)=([^;]*)/.exec(c);
    if (m) cookies[m[1]!] = m[2]!;
  }
  result.cookies = cookies;
  result.cookies_string = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
  const text = out.body.toString(charsetOf(headers['content-type']));
  if (isJsonType(headers['content-type'])) {
    try {
      result.json = JSON.parse(text) as unknown;
    } catch {
      // Ansible leaves json out when the body does not parse.
    }
  }
  const ok = codes.includes(out.code);
  const msg = out.code >= 400 || (out.code >= 300 && out.code < 400 && !ok) ? `HTTP Error ${out.code}: ${head?.reason ?? ''}`.trim() : `OK (${headers['content-length'] ?? 'unknown'} bytes)`;
  if (a.return_content) result.content = text;
  if (a.dest !== undefined) {
    result.path = a.dest;
    if (out.dest === 'written') result.changed = true;
    if (out.dest === 'directory') return { ...result, failed: true, msg: `dest ${a.dest} is a directory: give a file path` };
    if (out.dest === 'failed') return { ...result, failed: true, msg: `could not write ${a.dest}` };
  }
  if (!ok) return { ...result, failed: true, msg: `Status code was ${out.code} and not ${JSON.stringify(codes).replace(/,/g, ', ')}: ${msg}` };
  return { ...result, msg };
}

/**
 * ansible.builtin.uri: the request is made on the host, with curl, as Ansible makes it there.
 * Read-only by default (changed: false); with dest, changed when dest got different bytes.
 * Ansible's uri does not support check mode: in --check the task is skipped, as there.
 */
export default defineModule<UriArgs>({
  name: 'uri',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'HTTP or HTTPS URL, requested from the host.' },
      method: { type: 'string', default: 'GET', description: 'The HTTP method, one uppercase word: GET, POST, PUT, DELETE, HEAD, ...' },
      body: { description: 'The request body; with body_format json or form-urlencoded a mapping (or list) is encoded.' },
      body_format: { enum: ['raw', 'json', 'form-urlencoded'], default: 'raw' },
      headers: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, description: 'Request headers.' },
      status_code: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 1 }], default: [200], description: 'The statuses that mean success.' },
      return_content: { type: 'boolean', default: false, description: 'Return the body as content (a JSON body is always returned as json).' },
      validate_certs: { type: 'boolean', default: true, description: "false: accept a certificate curl cannot verify (curl -k)." },
      timeout: { type: 'integer', minimum: 1, default: 30, description: 'Seconds the whole request may take.' },
      dest: { type: 'string', pattern: '^/', description: 'Write the body to this file on the host (replaced only when it differs).' },
      force_basic_auth: { type: 'boolean', default: false, description: 'Send the credentials with the first request instead of after a 401.' },
      url_username: { type: 'string', description: 'User for HTTP authentication.' },
      url_password: { type: 'string', description: 'Password for HTTP authentication (sent in curl\'s config file, not its argv).' },
      follow_redirects: { enum: ['all', 'no', 'none', 'safe', 'urllib2', 'yes'], default: 'safe', description: 'safe: follow only for GET and HEAD.' },
    },
  },
  validate(a) {
    if (a.method !== undefined && !isTemplated(a.method) && !/^[A-Za-z]+$/.test(a.method)) throw new InputError("uri: Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
    if (!isTemplated(a.url) && /[\s]/.test(a.url)) throw new InputError('uri: url must not contain whitespace');
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new InputError(`uri: header name '${k}' is not a valid HTTP header name`);
      if (typeof v === 'string' && !isTemplated(v) && /[\r\n]/.test(v)) throw new InputError(`uri: header ${k} must not contain a line break`);
    }
    if (a.url_password !== undefined && a.url_username === undefined) throw new InputError('uri: url_password needs url_username');
    if ((a.body_format ?? 'raw') === 'raw' && a.body !== undefined && a.body !== null && typeof a.body === 'object') throw new InputError('uri: a mapping or list body needs body_format json or form-urlencoded');
  },
  async run(a, ctx) {
    if (ctx.check) return { changed: false, skipped: true, msg: 'uri does not support check mode (as in Ansible): the request could change the server' };
    const start = Date.now();
    const r = await ctx.exec(uriScript(a), { timeoutMs: ((a.timeout ?? 30) + 30) * 1000 });
    if (r.rc !== 0) return { changed: false, failed: true, status: -1, url: a.url, msg: r.stderr.trim() || `uri failed (rc ${r.rc})` };
    return uriResult(a, parseUriOutput(r.stdout), Math.floor((Date.now() - start) / 1000));
  },
});
