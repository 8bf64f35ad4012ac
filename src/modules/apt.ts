import { isTemplated } from '../vars/template.js';
import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type ModuleResult } from './types.js';

export interface AptArgs {
  name?: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  cache_valid_time?: number;
  install_recommends?: boolean;
  purge?: boolean;
  autoremove?: boolean;
}

export interface PkgSpec {
  name: string;
  version?: string;
}

export interface PkgState {
  installed: boolean;
  version?: string;
  candidate?: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+:~_-]+)?$/;

export function pkgSpecs(name: string | string[] | undefined): PkgSpec[] {
  const list = name === undefined ? [] : Array.isArray(name) ? name : name.split(',').map((s) => s.trim()).filter(Boolean);
  return list.map((s) => {
    const [n, v] = s.split('=', 2) as [string, string | undefined];
    return { name: n, ...(v ? { version: v } : {}) };
  });
}

/** One probe: dpkg status of all names, candidates (latest) and the cache age (cache_valid_time). */
export function aptProbeScript(names: string[], latest: boolean, autoremove = false): string {
  // dpkg-query without names would list every package: leave the section empty then.
  const lines = [names.length === 0 ? 'echo @@dpkg; echo @@end' : `echo @@dpkg; dpkg-query -W -f='\${Package} \${Status} \${Version}\\n' ${shellJoin(names)} 2>/dev/null; echo @@end`];
  // A simulated autoremove tells whether the real one would remove anything.
  if (autoremove) lines.push(`echo "autoremove=$(LC_ALL=C apt-get -s autoremove 2>/dev/null | grep -c '^Remv')"`);
  if (latest && names.length) lines.push(`echo @@policy; LC_ALL=C apt-cache policy ${shellJoin(names)} 2>/dev/null; echo @@end`);
  lines.push(
    'echo "now=$(date +%s)"',
    // As Ansible: the update-success stamp, else the lists directory (apt-get update rewrites it).
    'for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists /var/cache/apt/pkgcache.bin; do [ -e "$f" ] && echo "stamp=$(stat -c %Y "$f")" && break; done',
    'true',
  );
  return lines.join('\n');
}

export function parseAptProbe(out: string): { pkgs: Map<string, PkgState>; cacheAge?: number; autoremovable: number } {
  const pkgs = new Map<string, PkgState>();
  const sec = (name: string) => new RegExp(`@@${name}\\n([\\s\\S]*?)@@end`).exec(out)?.[1] ?? '';
  for (const line of sec('dpkg').split('\n')) {
    // "iproute2 install ok installed 6.1.0-3" ; removed-with-config: "x deinstall ok config-files 1.0"
    const m = /^(\S+) (\S+) (\S+) (\S+) ?(\S*)$/.exec(line.trim());
    if (m) pkgs.set(m[1]!.split(':')[0]!, { installed: m[4] === 'installed', ...(m[4] === 'installed' ? { version: m[5] } : {}) });
  }
  let cur: string | undefined;
  for (const line of sec('policy').split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) cur = head[1]!.split(':')[0];
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && cur) {
      const st = pkgs.get(cur) ?? { installed: false };
      pkgs.set(cur, { ...st, ...(cand[1] !== '(none)' ? { candidate: cand[1] } : {}) });
    }
  }
  const now = Number(/^now=(\d+)$/m.exec(out)?.[1]);
  const stamp = Number(/^stamp=(\d+)$/m.exec(out)?.[1]);
  const autoremovable = Number(/^autoremove=(\d+)$/m.exec(out)?.[1] ?? 0);
  return { pkgs, autoremovable, ...(Number.isFinite(now) && Number.isFinite(stamp) ? { cacheAge: now - stamp } : {}) };
}

/** Which specs need installing (present/latest) or removing (absent). */
export function aptPlan(specs: PkgSpec[], state: 'present' | 'absent' | 'latest', pkgs: Map<string, PkgState>): PkgSpec[] {
  return specs.filter((s) => {
    const p = pkgs.get(s.name.split(':')[0]!) ?? { installed: false };
    if (state === 'absent') return p.installed;
    if (!p.installed) return true;
    if (s.version) return p.version !== s.version;
    return state === 'latest' && p.candidate !== undefined && p.candidate !== p.version;
  });
}

const spec = (s: PkgSpec) => (s.version ? `${s.name}=${s.version}` : s.name);

/** Package states, candidates and cache age: aptProbeScript read as one fact. */
const aptFact = defineFact(
  (p: { names: string[]; latest: boolean; autoremove: boolean }) => aptProbeScript(p.names, p.latest, p.autoremove),
  (r) => parseAptProbe(r.stdout),
);

export default defineModule({
  name: 'apt',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', pattern: NAME_RE.source } },
        ],
        description: 'Package name(s); name=version pins a version.',
      },
      state: { enum: ['present', 'absent', 'latest'] },
      update_cache: { type: 'boolean', description: 'Run apt-get update first (skipped while the cache is younger than cache_valid_time).' },
      cache_valid_time: { type: 'integer', minimum: 0, description: 'Seconds the package cache counts as fresh.' },
      install_recommends: { type: 'boolean', description: 'true/false force --install-recommends/--no-install-recommends; unset follows apt.conf.' },
      purge: { type: 'boolean', description: 'absent: also remove configuration files.' },
      autoremove: { type: 'boolean', description: 'Also remove packages nothing depends on any more.' },
    },
  },
  validate(a: AptArgs) {
    const specs = pkgSpecs(a.name);
    // A templated name is judged once rendered, for each host.
    for (const s of specs) if (!isTemplated(spec(s)) && !NAME_RE.test(spec(s))) throw new InputError(`apt: invalid package name '${spec(s)}'`);
    if (!specs.length && !a.update_cache && !a.autoremove) throw new InputError("apt: give 'name', 'update_cache' or 'autoremove'");
  },
  facts: (a: AptArgs) => ({ now: aptFact({ names: pkgSpecs(a.name).map((s) => s.name), latest: a.state === 'latest', autoremove: !!a.autoremove }) }),
  async run(a, ctx, { now }) {
    const state = a.state ?? 'present';
    const specs = pkgSpecs(a.name);
    const names = specs.map((s) => s.name);
    const { pkgs, cacheAge, autoremovable } = now;
    const todo = names.length ? aptPlan(specs, state, pkgs) : [];
    const cacheStale = !!a.update_cache && (a.cache_valid_time === undefined || cacheAge === undefined || cacheAge > a.cache_valid_time);
    const before = specs.map((s) => `${s.name} ${pkgs.get(s.name)?.installed ? pkgs.get(s.name)!.version : '(absent)'}\n`).join('');
    const diff = ctx.diff && todo.length ? [{ before, after: specs.map((s) => `${s.name} ${state === 'absent' ? '(absent)' : todo.includes(s) ? s.version ?? pkgs.get(s.name)?.candidate ?? '(installed)' : pkgs.get(s.name)?.version}\n`).join('') }] : undefined;
    const base: ModuleResult = { changed: false, packages: todo.map(spec), cache_updated: false };
    const autoremove = !!a.autoremove && autoremovable > 0;
    // As Ansible: with packages named, a cache refresh alone is `cache_updated`, not a change.
    const changed = todo.length > 0 || autoremove || (!names.length && cacheStale);
    if (!todo.length && !cacheStale && !autoremove) return base;
    if (ctx.check) return { ...base, changed, ...(diff ? { diff } : {}) };
    const env = 'DEBIAN_FRONTEND=noninteractive';
    const cmds: string[] = [];
    if (cacheStale) cmds.push('apt-get update -q');
    if (todo.length && state !== 'absent') {
      const rec = a.install_recommends === undefined ? [] : [a.install_recommends ? '--install-recommends' : '--no-install-recommends'];
      // Keep the host's edited config files on upgrades instead of prompting.
      cmds.push(`${env} ${shellJoin(['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...rec, ...todo.map(spec)])}`);
    }
    if (todo.length && state === 'absent') cmds.push(`${env} ${shellJoin(['apt-get', 'remove', '-y', '-q', ...(a.purge ? ['--purge'] : []), ...todo.map((s) => s.name)])}`);
    if (autoremove) cmds.push(`${env} ${shellJoin(['apt-get', 'autoremove', '-y', '-q', ...(a.purge ? ['--purge'] : [])])}`);
    const r = await ctx.exec(cmds.join(' && '), { timeoutMs: 30 * 60 * 1000 });
    if (r.rc !== 0) return { ...base, changed: true, failed: true, rc: r.rc, stdout: r.stdout, stderr: r.stderr, msg: `apt-get failed (rc ${r.rc}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
    return { ...base, changed, cache_updated: cacheStale, stdout: r.stdout, ...(diff ? { diff } : {}) };
  },
});
