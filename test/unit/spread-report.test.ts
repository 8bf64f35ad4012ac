// The load test's table and chart, rendered from given counts (the lab test renders measured ones).
import { describe, expect, it } from 'vitest';
import { spreadChartSvg, spreadRows, spreadTable, type SpreadRun } from '../../src/lab/spread-report.js';

const NODES = ['cp1', 'w1', 'w2', 'w3'];
const l3: SpreadRun = { label: 'L3 hashing (fib_multipath_hash_policy=0)', nodes: NODES, answers: { w2: 400 }, started: 400, failed: 0, failures: {}, elapsedMs: 812 };
const l4: SpreadRun = { label: 'L4 hashing (fib_multipath_hash_policy=1)', nodes: NODES, answers: { cp1: 90, w1: 110, w2: 100, w3: 96 }, started: 400, failed: 4, failures: { ECONNRESET: 3, timeout: 1 }, elapsedMs: 1250 };

describe('spread rows', () => {
  it('every expected node in inventory order, a node without answers as 0', () => {
    expect(spreadRows(l3)).toEqual([
      { node: 'cp1', connections: 0, share: 0 },
      { node: 'w1', connections: 0, share: 0 },
      { node: 'w2', connections: 400, share: 100 },
      { node: 'w3', connections: 0, share: 0 },
    ]);
  });

  it('failures are a row of their own and shares are of the connections started', () => {
    const rows = spreadRows(l4);
    expect(rows.map((r) => r.node)).toEqual([...NODES, 'failed']);
    expect(rows.find((r) => r.node === 'w1')!.share).toBe(27.5);
    expect(rows.find((r) => r.node === 'failed')).toEqual({ node: 'failed', connections: 4, share: 1 });
    expect(rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(100);
  });

  it('a name that is not an expected node still shows (after them)', () => {
    const rows = spreadRows({ ...l3, answers: { w2: 399, stray: 1 } });
    expect(rows.map((r) => r.node)).toEqual([...NODES, 'stray']);
  });

  it('no connection started: shares are 0, not NaN', () => {
    expect(spreadRows({ ...l3, answers: {}, started: 0 }).every((r) => r.share === 0)).toBe(true);
  });
});

describe('spread table', () => {
  it('node, connections, share % and a bar, then the total', () => {
    expect(spreadTable(l3)).toBe(
      [
        'L3 hashing (fib_multipath_hash_policy=0): 400 connections in 0.8 s, 0 failed',
        '  node   connections   share',
        '  cp1              0    0.0%',
        '  w1               0    0.0%',
        `  w2             400  100.0%  ${'#'.repeat(50)}`,
        '  w3               0    0.0%',
        '  total          400',
      ].join('\n'),
    );
  });

  it('failures by reason', () => {
    const t = spreadTable(l4);
    expect(t).toMatch(/^ {2}failed\s+4\s+1\.0%/m);
    expect(t).toContain('failures: ECONNRESET 3, timeout 1');
  });
});

describe('spread chart', () => {
  const svg = spreadChartSvg([l3, l4]);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  const bars = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)].map((m) => ({ h: Number(m[1]), what: m[2]! }));

  it('an SVG document with one panel per run, titled by its label', () => {
    expect(svg).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<g class="panel">/g)).toHaveLength(2);
    expect(texts).toContain(l3.label);
    expect(texts).toContain('400 connections, 4 failed, 1.3 s');
  });

  it('a bar per node and per failure row, its height its share of the plot', () => {
    expect(bars.map((b) => b.what)).toEqual(['cp1: 0', 'w1: 0', 'w2: 400', 'w3: 0', 'cp1: 90', 'w1: 110', 'w2: 100', 'w3: 96', 'failed: 4']);
    const full = bars.find((b) => b.what === 'w2: 400')!.h;
    expect(full).toBeGreaterThan(0);
    expect(bars.find((b) => b.what === 'w1: 110')!.h).toBeCloseTo(full * 0.275, 0);
    expect(bars.find((b) => b.what === 'cp1: 0')!.h).toBe(0);
  });

  it('every node named under its bar in both panels, with its count and share', () => {
    for (const n of NODES) expect(texts.filter((t) => t === n)).toHaveLength(2);
    for (const c of ['400', '90', '110', '100', '96', '4']) expect(texts).toContain(c);
    expect(texts).toContain('27.5%');
  });

  it('the same color for a node in every panel', () => {
    const fill = (what: string) => svg.match(new RegExp(`fill="(#[0-9a-f]+)"><title>${what}<`))![1];
    expect(fill('w2: 400')).toBe(fill('w2: 100'));
    expect(fill('cp1: 90')).not.toBe(fill('w1: 110'));
  });

  it('labels and node names are escaped', () => {
    const odd = spreadChartSvg([{ ...l3, label: 'a <b> & "c"', answers: { '<x>': 1 }, started: 1 }]);
    expect(odd).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(odd).toContain('&lt;x&gt;');
    expect(odd).not.toContain('<x>');
  });
});
