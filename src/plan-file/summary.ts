import { diffEntryLines, loadDiffRenderer } from '../report/diff.js';
import type { PlanFile } from './types.js';

export interface PlanCounts {
  change: number;
  unknown: number;
  hostsChanging: number;
}

export function planCounts(plan: PlanFile): PlanCounts {
  const c: PlanCounts = { change: 0, unknown: 0, hostsChanging: 0 };
  for (const hp of Object.values(plan.hosts)) {
    const ch = hp.tasks.filter((t) => t.status === 'changed').length;
    c.change += ch;
    c.unknown += hp.tasks.filter((t) => t.status === 'unknown').length;
    if (ch) c.hostsChanging++;
  }
  return c;
}

/** Per host: what would change (with -D its diffs, masked), what check mode cannot tell, how much is ok. */
export async function planSummary(plan: PlanFile, diff: boolean): Promise<string> {
  if (diff) await loadDiffRenderer();
  const out: string[] = ['', `PLAN ${'*'.repeat(75)}`];
  for (const [host, hp] of Object.entries(plan.hosts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const n = (s: string) => hp.tasks.filter((t) => t.status === s).length;
    const ch = n('changed');
    const parts = [ch ? `${ch} to change` : 'no changes', `${n('ok')} ok`, ...(n('unknown') ? [`${n('unknown')} unknown`] : []), ...(n('skipped') ? [`${n('skipped')} skipped`] : [])];
    out.push(`${host}: ${parts.join(', ')}`);
    for (const t of hp.tasks) {
      if (t.status === 'changed') {
        out.push(`  ~ ${t.task} (${t.file}:${t.line})`);
        if (diff) for (const d of t.diff ?? []) out.push(...diffEntryLines(d).map((l) => `      ${l}`));
      } else if (t.status === 'unknown') out.push(`  ? ${t.task} (${t.file}:${t.line}): check mode cannot tell; it runs on apply`);
    }
  }
  const c = planCounts(plan);
  const hosts = Object.keys(plan.hosts).length;
  out.push('', c.change ? `Plan: ${c.change} change${c.change === 1 ? '' : 's'} on ${c.hostsChanging} of ${hosts} host${hosts === 1 ? '' : 's'}${c.unknown ? `, ${c.unknown} unknown` : ''}.` : `Plan: no changes on ${hosts} host${hosts === 1 ? '' : 's'}${c.unknown ? ` (${c.unknown} unknown)` : ''}.`);
  return out.join('\n') + '\n';
}
