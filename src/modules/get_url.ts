import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { attributeScript, tempPrefix } from './lib/file-state.js';
import { attrsOf, attrsSatisfied, checkAttrArgs, type AttrArgs } from './lib/file-args.js';
import { fileFact } from './lib/facts.js';
import { defineModule, type ModuleResult } from './types.js';

export interface GetUrlArgs extends AttrArgs {
  url: string;
  dest: string;
  checksum?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  force?: boolean;
  timeout?: number;
}

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

export function parseChecksum(s: string): { algo: (typeof ALGOS)[number]; hex: string } {
  const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(s);
  if (!m || !(ALGOS as readonly string[]).includes(m[1]!)) throw new InputError(`get_url: checksum must look like sha256:HEX (algorithms: ${ALGOS.join(', ')})`);
  return { algo: m[1] as (typeof ALGOS)[number], hex: m[2]!.toLowerCase() };
}

/**
 * Downloads on the host into a temp file beside dest, verifies, sets attributes, renames.
 * Prints `same` when (force) the download equals dest, so nothing is replaced.
 */
export function downloadScript(a: GetUrlArgs, tmp: string, compareTo?: string): string {
  const t = quote(tmp);
  const url = quote(a.url);
  const to = a.timeout ?? 10;
  const lines = [
    `t=${t}`,
    `trap 'rm -f -- "$t"' EXIT`,
    'if command -v curl >/dev/null 2>&1; then',
    `  curl -fsSL --max-time ${to} -o "$t" ${url} || { echo "download failed: curl exit $?" >&2; exit 4; }`,
    'elif command -v wget >/dev/null 2>&1; then',
    `  wget -q -T ${to} -O "$t" ${url} || { echo "download failed: wget exit $?" >&2; exit 4; }`,
    'else echo "neither curl nor wget is installed" >&2; exit 4; fi',
  ];
  if (a.checksum) {
    const { algo, hex } = parseChecksum(a.checksum);
    lines.push(`got=$(${algo}sum < "$t" | cut -d' ' -f1)`, `if [ "$got" != ${quote(hex)} ]; then echo "checksum mismatch: expected ${hex}, got $got" >&2; exit 5; fi`);
  }
  if (compareTo) lines.push(`if cmp -s -- "$t" ${quote(compareTo)}; then echo same; exit 0; fi`);
  // The temp file gets the attributes before it is renamed into place (the default mode as Ansible's, 0644).
  lines.push('chmod 644 -- "$t"', attributeScript(tmp, attrsOf(a)));
  lines.push(`mv -f -- "$t" ${quote(a.dest)}`, 'trap - EXIT', 'echo replaced');
  return lines.join('\n');
}

export default defineModule({
  name: 'get_url',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'dest'],
    properties: {
      url: { type: 'string', pattern: '^(https?|ftp|file)://', description: 'What to download (on the host, with curl or wget).' },
      dest: { type: 'string', pattern: '^/', description: 'Absolute file path on the host.' },
      checksum: { type: 'string', description: 'ALGO:HEX, e.g. sha256:…; also decides whether an existing dest is right.' },
      mode: { type: ['string', 'integer'] },
      owner: { type: 'string', minLength: 1 },
      group: { type: 'string', minLength: 1 },
      force: { type: 'boolean', description: 'Download even when dest exists (replaced only when the content differs).' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds the download may take (default 10).' },
    },
  },
  validate(a: GetUrlArgs) {
    checkAttrArgs('get_url', a);
    if (a.checksum) parseChecksum(a.checksum);
    if (a.dest.endsWith('/')) throw new InputError('get_url: dest must be a file path, not a directory');
  },
  // The checksum is the one the task names (any algorithm), computed from what the fact read.
  facts: (a: GetUrlArgs) => ({ st: fileFact(a.dest, { checksum: a.checksum ? parseChecksum(a.checksum).algo : 'sha256' }) }),
  async run(a, ctx, { st }) {
    const sum = a.checksum ? parseChecksum(a.checksum) : undefined;
    const have = st.checksum;
    if (st.type !== 'file' && st.type !== 'absent') return { changed: false, failed: true, msg: `${a.dest} exists and is a ${st.type}, not a file` };
    const contentOk = st.type === 'file' && !a.force && (!sum || have === sum.hex);
    const compareOnly = st.type === 'file' && !contentOk;
    // The same permission logic as the file module: `u+x` is satisfied once the bit is set.
    const attrs = st.type === 'file' && !attrsSatisfied(st, attrsOf(a)) ? [attributeScript(a.dest, attrsOf(a))] : [];
    const base: ModuleResult = { changed: false, url: a.url, dest: a.dest };
    if (contentOk && !attrs.length) return base;
    if (contentOk) {
      if (ctx.check) return { ...base, changed: true };
      const r = await ctx.exec(`set -e\n${attrs.join('\n')}`);
      if (r.rc !== 0) return { ...base, failed: true, msg: r.stderr.trim() };
      return { ...base, changed: true };
    }
    if (ctx.check) return { ...base, changed: true, ...(ctx.diff ? { diff: [{ path: a.dest, before: st.type === 'absent' ? '(absent)\n' : `${sum?.algo ?? 'sha256'} ${st.checksum}\n`, after: `download of ${a.url}\n` }] } : {}) };
    const tmp = `${tempPrefix(a.dest)}${randomBytes(6).toString('hex')}`;
    const r = await ctx.exec(downloadScript(a, tmp, compareOnly ? a.dest : undefined), { timeoutMs: ((a.timeout ?? 10) + 30) * 1000 });
    if (r.rc !== 0) return { ...base, failed: true, rc: r.rc, msg: r.stderr.trim() || `download failed (rc ${r.rc})` };
    if (r.stdout.trim() === 'same') {
      if (!attrs.length) return base;
      const r2 = await ctx.exec(`set -e\n${attrs.join('\n')}`);
      return r2.rc === 0 ? { ...base, changed: true } : { ...base, failed: true, msg: r2.stderr.trim() };
    }
    return { ...base, changed: true, ...(ctx.diff ? { diff: [{ path: a.dest, before: st.type === 'absent' ? '(absent)\n' : `${sum?.algo ?? 'sha256'} ${st.checksum}\n`, after: `download of ${a.url}\n` }] } : {}) };
  },
});
