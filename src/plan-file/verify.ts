import { displayPath } from '../load/yaml.js';
import { printNow } from '../load/inputs.js';
import { mapLimit } from '../map-limit.js';
import type { FactSpec } from '../modules/lib/facts.js';
import type { ReadFacts } from '../run/run-context.js';
import type { PlanFile, SavedSpec } from './types.js';

const shown = (key: string) => (key.endsWith('/') ? `${displayPath(key.slice(0, -1))}/ (its list of files)` : displayPath(key));

/**
 * The controller inputs that differ from the plan's: each saved one as it is on disk now, and any
 * input loading read now that the plan did not (an include or vars file added since).
 */
export function changedInputs(saved: Record<string, string>, readNow: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [key, print] of Object.entries(saved)) {
    const now = printNow(key);
    if (now === undefined) out.push(`${shown(key)} is gone`);
    else if (now !== print) out.push(`${shown(key)} changed`);
  }
  for (const key of Object.keys(readNow)) if (!(key in saved)) out.push(`${shown(key)} is new (not read when the plan was made)`);
  return out;
}

/** The spec to read again; a script fact is compared by its output, so its parser is not needed. */
function specOf(s: SavedSpec): FactSpec {
  if (s.kind === 'script') return { kind: 'script', script: s.script, parse: () => null };
  if (s.kind === 'file') return { kind: 'file', path: s.path, opts: s.opts, ...(s.parent !== undefined ? { parent: s.parent } : {}) };
  return s;
}

export interface FactCheck {
  /** `host: task (file:line) decided on file /x, which changed since the plan`. */
  changed: string[];
  unreachable: string[];
}

/** Every saved fact read again, one round trip per host (at most forks at once), compared with the plan's prints. */
export async function changedFacts(plan: PlanFile, read: ReadFacts, forks: number): Promise<FactCheck> {
  const out: FactCheck = { changed: [], unreachable: [] };
  const hosts = Object.entries(plan.hosts).filter(([, hp]) => hp.facts.some((f) => f.spec));
  await mapLimit(hosts, forks, async ([host, hp]) => {
    const facts = hp.facts.filter((f) => f.spec);
    let prints: string[];
    try {
      prints = await read(host, facts.map((f) => ({ spec: specOf(f.spec!), ...(f.becomeUser !== undefined ? { becomeUser: f.becomeUser } : {}) })));
    } catch (e) {
      out.unreachable.push(`${host}: ${(e as Error).message}`);
      return;
    }
    facts.forEach((f, i) => {
      if (prints[i] !== f.print) out.changed.push(`${f.usedBy[0] ?? host} decided on ${f.what}${host !== f.usedBy[0]?.split(':')[0] ? ` of ${host}` : ''}, which changed since the plan${f.usedBy.length > 1 ? ` (also used by ${f.usedBy.length - 1} more)` : ''}`);
    });
  });
  out.changed.sort();
  return out;
}
