// How connections to the service address spread over the nodes: the per-node table the load
// test prints and the SVG chart `npm run demo` writes (one panel per hash policy). Rendered from
// the counts bench/load/connect.mjs measured; nothing here knows what the outcome should be.

export interface SpreadRun {
  /** e.g. "L3 hashing (fib_multipath_hash_policy=0)". */
  label: string;
  /** The nodes that should get a share, in inventory order (a node with no answer shows as 0). */
  nodes: string[];
  /** Answers per node name, as the responders named themselves. */
  answers: Record<string, number>;
  /** Connections started (answered + failed). */
  started: number;
  failed: number;
  failures: Record<string, number>;
  elapsedMs: number;
}

export interface SpreadRow {
  node: string;
  connections: number;
  /** Percent of the connections started. */
  share: number;
}

/** One row per expected node, then any other name that answered, then failures when there were any. */
export function spreadRows(run: SpreadRun): SpreadRow[] {
  const names = [...run.nodes, ...Object.keys(run.answers).filter((n) => !run.nodes.includes(n)).sort()];
  const pct = (n: number) => (run.started ? (100 * n) / run.started : 0);
  const rows = names.map((node) => ({ node, connections: run.answers[node] ?? 0, share: pct(run.answers[node] ?? 0) }));
  if (run.failed) rows.push({ node: 'failed', connections: run.failed, share: pct(run.failed) });
  return rows;
}

/** The text table: node, connections, share %, and a bar of one # per 2 %. */
export function spreadTable(run: SpreadRun): string {
  const rows = spreadRows(run);
  const w = Math.max(5, ...rows.map((r) => r.node.length));
  const lines = [
    `${run.label}: ${run.started} connections in ${(run.elapsedMs / 1000).toFixed(1)} s, ${run.failed} failed`,
    `  ${'node'.padEnd(w)}  connections   share`,
    ...rows.map((r) => `  ${r.node.padEnd(w)}  ${String(r.connections).padStart(11)}  ${r.share.toFixed(1).padStart(5)}%  ${'#'.repeat(Math.round(r.share / 2))}`.trimEnd()),
    `  ${'total'.padEnd(w)}  ${String(run.started).padStart(11)}`,
  ];
  if (run.failed) lines.push(`  failures: ${Object.entries(run.failures).map(([why, n]) => `${why} ${n}`).join(', ')}`);
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

const PANEL_W = 380;
const HEIGHT = 320;
const TOP = 90; // below the panel's title, subtitle and a full bar's labels
const PLOT_H = 200;
const BASE = TOP + PLOT_H;

function panel(run: SpreadRun, x0: number, colorOf: (node: string) => string): string {
  const rows = spreadRows(run);
  const slot = (PANEL_W - 60) / Math.max(1, rows.length);
  const barW = Math.min(56, slot * 0.7);
  const out = [
    `<g class="panel">`,
    `<text x="${x0 + PANEL_W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(run.label)}</text>`,
    `<text x="${x0 + PANEL_W / 2}" y="44" text-anchor="middle" font-size="12" fill="#555">${run.started} connections, ${run.failed} failed, ${(run.elapsedMs / 1000).toFixed(1)} s</text>`,
  ];
  for (const pct of [0, 50, 100]) {
    const y = BASE - (PLOT_H * pct) / 100;
    out.push(`<line x1="${x0 + 40}" y1="${y}" x2="${x0 + PANEL_W - 16}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + 36}" y="${y + 4}" text-anchor="end" font-size="10" fill="#777">${pct}%</text>`);
  }
  rows.forEach((r, i) => {
    const cx = x0 + 48 + slot * i + slot / 2;
    const h = (PLOT_H * r.share) / 100;
    const fill = r.node === 'failed' ? '#999' : colorOf(r.node);
    out.push(`<rect x="${(cx - barW / 2).toFixed(1)}" y="${(BASE - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}"><title>${esc(r.node)}: ${r.connections}</title></rect>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${(BASE - h - 18).toFixed(1)}" text-anchor="middle" font-size="12">${r.connections}</text>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${(BASE - h - 5).toFixed(1)}" text-anchor="middle" font-size="10" fill="#555">${r.share.toFixed(1)}%</text>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${BASE + 18}" text-anchor="middle" font-size="13">${esc(r.node)}</text>`);
  });
  out.push(`</g>`);
  return out.join('\n');
}

/** One panel per run, side by side, bars in the same color per node across panels. */
export function spreadChartSvg(runs: SpreadRun[], title = 'Connections per node from one client'): string {
  const names = [...new Set(runs.flatMap((r) => spreadRows(r).map((x) => x.node)))];
  const colorOf = (n: string) => COLORS[names.indexOf(n) % COLORS.length]!;
  const width = PANEL_W * Math.max(1, runs.length);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...runs.map((r, i) => panel(r, PANEL_W * i, colorOf)),
    `</svg>`,
    '',
  ].join('\n');
}
