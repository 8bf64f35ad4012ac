/** `fabric runs` and `fabric runs show ID` on the terminal. */
import { formatDuration } from '../report/format.js';
import { formatRecapLine } from '../report/recap.js';
import type { FullRun, StoredRun } from './store.js';

const when = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function gitShort(run: StoredRun): string {
  if (!run.git) return '-';
  return `${run.git.commit?.slice(0, 8) ?? 'none'}${run.git.dirty ? '+dirty' : ''}`;
}

function sum(run: StoredRun, key: 'changed' | 'failed' | 'unreachable'): number {
  return Object.values(run.stats).reduce((n, s) => n + s[key], 0);
}

export function runListLines(runs: StoredRun[]): string[] {
  const rows = runs.map((r) => [
    String(r.id),
    when(r.startedAt),
    r.user,
    String(r.hosts.length),
    String(sum(r, 'changed')),
    String(sum(r, 'failed') + sum(r, 'unreachable')),
    r.exitCode === null ? '?' : String(r.exitCode),
    gitShort(r),
    `fabric ${r.argv.join(' ')}`,
  ]);
  const head = ['ID', 'STARTED', 'USER', 'HOSTS', 'CHANGED', 'FAILED', 'EXIT', 'GIT', 'COMMAND'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function runShowLines(run: FullRun): string[] {
  const out = [
    `run ${run.id}: fabric ${run.argv.join(' ')}`,
    `  started ${when(run.startedAt)} by ${run.user} on ${run.controller} in ${run.cwd}, took ${formatDuration(run.durationMs)}`,
    `  exit ${run.exitCode ?? '?'}${run.interrupted ? ' (interrupted)' : ''}${run.check ? ', check mode' : ''}`,
    `  git: ${run.git ? `${run.git.root} @ ${run.git.commit ?? '(no commit)'}${run.git.dirty ? ' (dirty: uncommitted changes)' : ''}` : 'not in a git repository'}`,
  ];
  let play: string | undefined;
  let taskSeq: number | undefined;
  for (const r of run.results) {
    if (r.play !== play) out.push('', `PLAY [${(play = r.play)}]`);
    if (r.taskSeq !== taskSeq) {
      taskSeq = r.taskSeq;
      out.push(`${r.handler ? 'HANDLER' : 'TASK'} [${r.task}] (${r.file}:${r.line})`);
    }
    const status = r.status === 'ok' && r.changed ? 'changed' : r.status;
    const host = r.delegatedTo && r.delegatedTo !== r.host ? `${r.host} -> ${r.delegatedTo}` : r.host;
    const diffs = r.diff?.length ? ` (diff: ${r.diff.length} ${r.diff.length === 1 ? 'entry' : 'entries'})` : '';
    out.push(`  ${status}: [${host}] ${formatDuration(r.durationMs)}${r.ignored ? ' (ignored)' : ''}${diffs}${r.error ? `: ${r.error.split('\n')[0]}` : ''}`);
  }
  out.push('', 'RECAP');
  for (const [host, s] of Object.entries(run.stats)) out.push(formatRecapLine(host, s).trimEnd());
  return out;
}
