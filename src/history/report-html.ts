/**
 * `fabric runs show ID --html FILE`: one self-contained HTML page (inline CSS, no script, no
 * external resource) with the hosts × tasks grid, a timeline per host and each diff in <details>.
 * Everything in it was masked when the run was stored.
 */
import type { HostStatus } from '../run/events.js';
import { diffEntryLines, loadDiffRenderer } from '../report/diff.js';
import { formatDuration } from '../report/format.js';
import type { FullRun, ResultRecord } from './store.js';

/** The status colours, also what the browser test looks for in the screenshot. */
export const STATUS_COLOURS: Record<HostStatus, string> = {
  ok: '#2da44e',
  changed: '#d4a72c',
  failed: '#cf222e',
  skipped: '#8c959f',
  unreachable: '#8250df',
};

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cellStatus(r: ResultRecord): HostStatus {
  return r.status === 'ok' && r.changed ? 'changed' : r.status;
}

interface TaskRow {
  taskSeq: number;
  task: string;
  play: string;
  file: string;
  line: number;
  byHost: Map<string, ResultRecord>;
}

function taskRows(run: FullRun): TaskRow[] {
  const rows = new Map<number, TaskRow>();
  for (const r of run.results) {
    let row = rows.get(r.taskSeq);
    if (!row) rows.set(r.taskSeq, (row = { taskSeq: r.taskSeq, task: r.task, play: r.play, file: r.file, line: r.line, byHost: new Map() }));
    row.byHost.set(r.host, r);
  }
  return [...rows.values()].sort((a, b) => a.taskSeq - b.taskSeq);
}

function grid(run: FullRun, rows: TaskRow[]): string {
  const head = `<tr><th>task</th>${run.hosts.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  let play: string | undefined;
  const body = rows.map((row) => {
    const playRow = row.play !== play ? `<tr class="play"><td colspan="${run.hosts.length + 1}">PLAY [${esc((play = row.play))}]</td></tr>` : '';
    const cells = run.hosts.map((h) => {
      const r = row.byHost.get(h);
      if (!r) return '<td class="none"></td>';
      const s = cellStatus(r);
      const title = r.error ? ` title="${esc(r.error)}"` : '';
      return `<td class="s-${s}"${title}>${s}<small>${formatDuration(r.durationMs)}</small></td>`;
    });
    return `${playRow}<tr><td class="task">${esc(row.task)}<small>${esc(`${row.file}:${row.line}`)}</small></td>${cells.join('')}</tr>`;
  });
  return `<table class="grid">${head}${body.join('')}</table>`;
}

function timeline(run: FullRun): string {
  const total = Math.max(1, run.durationMs, ...run.results.map((r) => r.startedMs + r.durationMs));
  const lanes = run.hosts.map((h) => {
    const bars = run.results
      .filter((r) => r.host === h)
      .map((r) => {
        const left = ((r.startedMs / total) * 100).toFixed(3);
        const width = ((r.durationMs / total) * 100).toFixed(3);
        return `<div class="bar s-${cellStatus(r)}" style="left:${left}%;width:${width}%" title="${esc(`${r.task}: ${cellStatus(r)}, ${formatDuration(r.durationMs)}`)}"></div>`;
      });
    return `<div class="lane"><span>${esc(h)}</span><div class="track">${bars.join('')}</div></div>`;
  });
  return `<div class="timeline">${lanes.join('')}<div class="scale"><span>0s</span><span>${formatDuration(total)}</span></div></div>`;
}

function diffLine(l: string): string {
  const cls = l.startsWith('+++') || l.startsWith('---') ? 'h' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : '';
  return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
}

function details(run: FullRun): string {
  const parts = run.results
    .filter((r) => r.diff?.length || r.error)
    .map((r) => {
      const lines = (r.diff ?? []).flatMap((d) => diffEntryLines(d));
      const body = [r.error ? `<p class="error">${esc(r.error)}</p>` : '', lines.length ? `<pre>${lines.map(diffLine).join('\n')}</pre>` : ''].join('');
      return `<details><summary><b class="s-${cellStatus(r)}">${cellStatus(r)}</b> ${esc(r.host)}: ${esc(r.task)}${lines.length ? ' (diff)' : ''}</summary>${body}</details>`;
    });
  return parts.length ? parts.join('\n') : '<p>No diffs or errors were recorded (diffs are kept for runs with --diff).</p>';
}

function recap(run: FullRun): string {
  const rows = Object.entries(run.stats).map(
    ([h, s]) => `<tr><td>${esc(h)}</td><td>${s.ok}</td><td>${s.changed}</td><td>${s.unreachable}</td><td>${s.failed}</td><td>${s.skipped}</td><td>${s.rescued}</td><td>${s.ignored}</td></tr>`,
  );
  return `<table class="recap"><tr><th>host</th><th>ok</th><th>changed</th><th>unreachable</th><th>failed</th><th>skipped</th><th>rescued</th><th>ignored</th></tr>${rows.join('')}</table>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#1f2328;background:#fff}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px}
.meta{color:#57606a;margin:0}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
.grid td.task small,.grid td small{display:block;font-size:11px;opacity:.8}
.grid td[class^="s-"]{color:#fff;font-weight:600;min-width:70px}
.grid tr.play td{background:#f6f8fa;font-weight:600}
td.none{background:#fff}
.s-ok{background:${STATUS_COLOURS.ok}}.s-changed{background:${STATUS_COLOURS.changed}}.s-failed{background:${STATUS_COLOURS.failed}}
.s-skipped{background:${STATUS_COLOURS.skipped}}.s-unreachable{background:${STATUS_COLOURS.unreachable}}
b[class^="s-"]{color:#fff;padding:0 4px;border-radius:3px}
.timeline{max-width:900px}.lane{display:flex;align-items:center;margin:3px 0}.lane span{width:120px;flex:none;overflow:hidden}
.track{position:relative;flex:1;height:16px;background:#f6f8fa;border:1px solid #d0d7de}
.bar{position:absolute;top:0;bottom:0;min-width:3px}
.scale{display:flex;justify-content:space-between;margin-left:120px;color:#57606a;font-size:11px}
details{margin:4px 0}summary{cursor:pointer}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}
.add{color:#116329}.del{color:#82071e}.hunk{color:#0550ae}.h{font-weight:600}.error{color:#82071e;white-space:pre-wrap}
`;

export async function renderRunHtml(run: FullRun): Promise<string> {
  await loadDiffRenderer();
  const git = run.git ? `${run.git.root} @ ${run.git.commit?.slice(0, 12) ?? '(no commit)'}${run.git.dirty ? ' (dirty)' : ''}` : 'not in a git repository';
  const meta = [
    `started ${run.startedAt} by ${run.user} on ${run.controller}, took ${formatDuration(run.durationMs)}`,
    `exit ${run.exitCode ?? '?'}${run.interrupted ? ' (interrupted)' : ''}${run.check ? ', check mode' : ''}`,
    `git: ${git}`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fabric run ${run.id}</title><style>${CSS}</style></head>
<body>
<h1>fabric run ${run.id}: fabric ${esc(run.argv.join(' '))}</h1>
${meta.map((m) => `<p class="meta">${esc(m)}</p>`).join('\n')}
<h2>Results</h2>
${grid(run, taskRows(run))}
<h2>Timeline</h2>
${timeline(run)}
<h2>Recap</h2>
${recap(run)}
<h2>Diffs and errors</h2>
${details(run)}
</body></html>
`;
}
