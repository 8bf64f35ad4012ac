import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { isTemplated } from '../vars/template.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type ModuleResult } from './types.js';

export interface GitArgs {
  repo: string;
  dest: string;
  version?: string;
  remote?: string;
  force?: boolean;
  depth?: number;
  update?: boolean;
  clone?: boolean;
  bare?: boolean;
  accept_hostkey?: boolean;
}

/** Git never asks for a password on the host (it would wait forever) and speaks English, to be parsed. */
const GIT_ENV = 'export GIT_TERMINAL_PROMPT=0 LC_ALL=C';
const SHA = /^[0-9a-f]{7,40}$/i;

/** A local path is the file:// URL Ansible makes of it, so it compares equal to the remote's URL. */
export const repoUrl = (repo: string) => (repo.startsWith('/') ? `file://${repo}` : repo);

export interface Checkout {
  present: boolean;
  head?: string;
  url?: string;
  mods: boolean;
  /** version resolved in the local repository (a commit id given as version). */
  local?: string;
  /** `git ls-remote` lines (sha and ref, `ref: X\tHEAD` for the symbolic HEAD); undefined: not read. */
  remote?: { lines: string[]; error?: string };
}

/** The fact: what dest holds (HEAD, origin's URL, tracked changes) and, when it may be needed, what the remote has for version. */
export const checkoutFact = defineFact(
  (a: GitArgs) => {
    const d = quote(a.dest);
    const v = a.version ?? 'HEAD';
    const remote = a.remote ?? 'origin';
    const git = (...argv: string[]) => `git -C ${d} ${shellJoin(argv)}`;
    const lines = [
      GIT_ENV,
      'command -v git >/dev/null 2>&1 || { echo nogit; exit 0; }',
      `if [ -f ${quote(a.bare ? `${a.dest}/config` : `${a.dest}/.git/config`)} ]; then`,
      '  echo present',
      `  echo "head=$(${git('rev-parse', '--quiet', '--verify', 'HEAD')} 2>/dev/null)"`,
      `  echo "url=$(${git('config', '--get', `remote.${remote}.url`)})"`,
      ...(a.bare ? [] : [`  if [ -n "$(${git('status', '--porcelain', '--untracked-files=no')})" ]; then echo mods=1; fi`]),
      ...(SHA.test(v) ? [`  echo "local=$(${git('rev-parse', '--quiet', '--verify', `${v}^{commit}`)} 2>/dev/null)"`] : []),
      'fi',
    ];
    // update: false never reaches the remote; the rest need to know what version is there.
    if (a.update !== false || a.clone !== false) {
      lines.push('echo @@ls', `${shellJoin(['git', 'ls-remote', '--symref', '--', repoUrl(a.repo), 'HEAD', `refs/heads/${v}`, `refs/tags/${v}`, `refs/tags/${v}^{}`])} 2>&1`, 'echo "@@lsrc=$?"');
    }
    return lines.join('\n');
  },
  (r, a): Checkout | { error: string } => {
    if (r.stdout.trim() === 'nogit') return { error: 'Failed to find required executable "git" on the host (Debian: apt-get install git)' };
    const [top = '', ls] = r.stdout.split('@@ls\n');
    const kv = new Map(top.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    let remote: Checkout['remote'];
    if (ls !== undefined) {
      const m = /@@lsrc=(\d+)\s*$/.exec(ls);
      const body = ls.slice(0, m?.index ?? ls.length).replace(/\n$/, '');
      remote = m?.[1] === '0' ? { lines: body.split('\n').filter(Boolean) } : { lines: [], error: body.trim() || `git ls-remote failed for ${a.repo}` };
    }
    return { present: top.split('\n').includes('present'), head: kv.get('head') || undefined, url: kv.get('url') || undefined, mods: kv.get('mods') === '1', local: kv.get('local') || undefined, remote };
  },
);

/** What version names on the remote: a branch (HEAD is the remote's default branch), a tag (the commit it points to) or a commit id. */
export type Target = { kind: 'branch'; branch: string; sha: string } | { kind: 'tag'; sha: string } | { kind: 'commit'; sha?: string } | { kind: 'missing' };

export function resolveVersion(version: string, lines: string[], local?: string): Target {
  const refs = new Map<string, string>();
  let headBranch: string | undefined;
  for (const l of lines) {
    const [left = '', ref = ''] = l.split('\t');
    if (left.startsWith('ref: ') && ref === 'HEAD') headBranch = left.slice(5).replace(/^refs\/heads\//, '');
    else refs.set(ref, left);
  }
  if (version === 'HEAD' && refs.has('HEAD')) return headBranch ? { kind: 'branch', branch: headBranch, sha: refs.get('HEAD')! } : { kind: 'commit', sha: refs.get('HEAD')! };
  const branch = refs.get(`refs/heads/${version}`);
  if (branch) return { kind: 'branch', branch: version, sha: branch };
  const tag = refs.get(`refs/tags/${version}^{}`) ?? refs.get(`refs/tags/${version}`);
  if (tag) return { kind: 'tag', sha: tag };
  if (SHA.test(version)) return { kind: 'commit', sha: local ?? (version.length === 40 ? version.toLowerCase() : undefined) };
  return { kind: 'missing' };
}

/** The commands that clone dest at target. */
export function cloneScript(a: GitArgs, t: Target): string {
  const version = a.version ?? 'HEAD';
  const argv = ['git', 'clone', '--origin', a.remote ?? 'origin', ...(a.bare ? ['--bare'] : []), ...(a.depth ? ['--depth', String(a.depth)] : [])];
  if (t.kind === 'branch' && version !== 'HEAD') argv.push('--branch', t.branch);
  if (t.kind === 'tag') argv.push('--branch', version);
  const lines = [GIT_ENV, 'set -e', shellJoin([...argv, '--', repoUrl(a.repo), a.dest])];
  if (t.kind === 'commit' && !a.bare) {
    if (a.depth) lines.push(shellJoin(['git', '-C', a.dest, 'fetch', '--depth', String(a.depth), a.remote ?? 'origin', version]));
    lines.push(shellJoin(['git', '-C', a.dest, 'checkout', '--force', '--detach', version]));
  }
  lines.push(`echo "@@after=$(${shellJoin(['git', '-C', a.dest, 'rev-parse', 'HEAD'])})"`);
  return lines.join('\n');
}

/** The commands that bring an existing checkout to target: discard changes (force), origin's URL, fetch, switch. */
export function updateScript(a: GitArgs, t: Target, o: { reset: boolean; setUrl: boolean }): string {
  const remote = a.remote ?? 'origin';
  const version = a.version ?? 'HEAD';
  const git = (...argv: string[]) => shellJoin(['git', '-C', a.dest, ...argv]);
  const lines = [GIT_ENV, 'set -e'];
  if (o.reset) lines.push(git('reset', '--hard', 'HEAD'));
  // A checkout without that remote gets it.
  if (o.setUrl) lines.push(`${git('remote', 'set-url', remote, repoUrl(a.repo))} 2>/dev/null || ${git('remote', 'add', remote, repoUrl(a.repo))}`);
  const depth = a.depth ? ['--depth', String(a.depth)] : [];
  const specs = a.bare ? ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'] : [`+refs/heads/*:refs/remotes/${remote}/*`, '+refs/tags/*:refs/tags/*'];
  lines.push(git('fetch', ...depth, '--force', remote, ...specs));
  if (t.kind === 'commit' && a.depth) lines.push(git('fetch', ...depth, remote, version));
  if (!a.bare) {
    if (t.kind === 'branch') lines.push(git('checkout', '--force', '-B', t.branch, `refs/remotes/${remote}/${t.branch}`));
    else lines.push(git('checkout', '--force', '--detach', t.kind === 'tag' ? `refs/tags/${version}` : version));
  }
  lines.push(`echo "@@after=$(${git('rev-parse', 'HEAD')})"`);
  return lines.join('\n');
}

/**
 * ansible.builtin.git: clone repo into dest, or bring dest to version (a branch, a tag, a commit;
 * HEAD: the remote's default branch). One round trip reads dest and the remote (`git ls-remote`);
 * a checkout already at version is not fetched, so a no-op is that one read.
 */
export default defineModule<GitArgs, ReturnType<typeof gitFacts>>({
  name: 'git',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['repo', 'dest'],
    properties: {
      repo: { type: 'string', minLength: 1, description: 'The repository: a URL git understands, or a path on the host (as file://).' },
      dest: { type: 'string', pattern: '^/', description: 'Absolute path of the checkout on the host.' },
      version: { type: 'string', minLength: 1, default: 'HEAD', description: 'A branch, a tag or a commit id; HEAD is the remote default branch.' },
      remote: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', default: 'origin', description: "The remote's name." },
      force: { type: 'boolean', default: false, description: 'Discard changes to tracked files in dest instead of failing.' },
      depth: { type: 'integer', minimum: 1, description: 'A shallow clone/fetch of this many commits.' },
      update: { type: 'boolean', default: true, description: 'false: leave an existing checkout alone.' },
      clone: { type: 'boolean', default: true, description: 'false: do not clone a missing dest.' },
      bare: { type: 'boolean', default: false, description: 'A bare repository (no work tree).' },
      accept_hostkey: { type: 'boolean', description: 'Only false: fabric does not turn off SSH host key checking for git.' },
    },
  },
  validate(a) {
    if (a.accept_hostkey === true) {
      throw new InputError('git: accept_hostkey: true is refused: it turns off SSH host key checking (StrictHostKeyChecking=no), which lets anyone in the path serve the code; put the git server\'s key in the host\'s ~/.ssh/known_hosts first');
    }
    const v = a.version ?? 'HEAD';
    if (!isTemplated(v) && (v.startsWith('-') || /[\s~^:?*[\\]|\.\.|@\{/.test(v))) throw new InputError(`git: version '${v}' is not a branch, tag or commit name`);
    if (!isTemplated(a.repo) && a.repo.startsWith('-')) throw new InputError(`git: repo '${a.repo}' must not start with '-'`);
  },
  facts: gitFacts,
  async run(a, ctx, { now }) {
    if ('error' in now) return { changed: false, failed: true, msg: now.error };
    const version = a.version ?? 'HEAD';
    const base = { before: now.present ? (now.head ?? null) : null };
    const diffOf = (before: string | null, after: string | undefined) => (ctx.diff ? { diff: [{ path: a.dest, before: `${before ?? '(absent)'}\n`, after: `${after ?? version}\n` }] } : {});
    if (now.present && a.update === false) return { changed: false, ...base, after: base.before };
    if (now.remote?.error) return { changed: false, failed: true, ...base, msg: `git ls-remote ${a.repo} failed: ${now.remote.error}` };
    const target = resolveVersion(version, now.remote?.lines ?? [], now.local);
    if (target.kind === 'missing') return { changed: false, failed: true, ...base, msg: `version '${version}' is not a branch, tag or commit id of ${a.repo}` };
    const wanted = target.sha;

    if (!now.present) {
      if (ctx.check || a.clone === false) return { changed: true, before: null, after: wanted ?? version, ...diffOf(null, wanted) };
      const r = await ctx.exec(cloneScript(a, target), { timeoutMs: 600_000 });
      return finish(r, { before: null }, diffOf);
    }
    const mods = now.mods;
    if (mods && !a.force) return { changed: false, failed: true, ...base, msg: `Local modifications exist in the destination: ${a.dest} (force=no).` };
    const urlChanged = now.url !== undefined && now.url !== repoUrl(a.repo) && now.url !== a.repo;
    const atTarget = wanted !== undefined && now.head === wanted;
    const need = !atTarget || urlChanged || mods;
    const out = { ...base, remote_url_changed: urlChanged };
    if (!need) return { changed: false, ...out, after: now.head };
    if (ctx.check) return { changed: true, ...out, after: wanted ?? version, ...diffOf(base.before, wanted) };
    const r = await ctx.exec(updateScript(a, target, { reset: mods, setUrl: urlChanged || now.url === undefined }), { timeoutMs: 600_000 });
    const res = finish(r, out, diffOf);
    return mods && !res.failed ? { ...res, changed: true, msg: `Local modifications exist in the destination: ${a.dest}` } : urlChanged && !res.failed ? { ...res, changed: true } : res;
  },
});

function gitFacts(a: GitArgs) {
  return { now: checkoutFact(a) };
}

/** The result once clone or update ran: after is HEAD as the script printed it. */
function finish(r: { rc: number; stdout: string; stderr: string }, base: { before: string | null }, diffOf: (b: string | null, a: string | undefined) => Partial<ModuleResult>): ModuleResult {
  const after = /^@@after=([0-9a-f]*)$/m.exec(r.stdout)?.[1] || undefined;
  if (r.rc !== 0) return { changed: false, failed: true, ...base, rc: r.rc, stderr: r.stderr, msg: r.stderr.trim().split('\n').slice(-3).join(' | ') || `git failed (rc ${r.rc})` };
  return { changed: base.before !== after, ...base, after, ...(base.before !== after ? diffOf(base.before, after) : {}) };
}
