// The seed's load test, shortened: the workstation opens many connections to the service
// address through the real FRR router and kernel ECMP (bench/load/spread.mjs running
// bench/load/connect.mjs inside the workstation), first with L3 hashing, then with L4; the
// chart the demo draws is then made from what was measured. The demo runs 12,000 per phase;
// here COUNT keeps each phase to a few seconds.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { run } from '../../src/lab/proc.js';
import { REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const COUNT = 1500;
const LONG = 300_000;
let lab: LabInfo;
let dir = '';
let inventory = '';
let nodes: string[] = [];
let router = '';

interface Phase {
  policy: number;
  started: number;
  notRun: number;
  failed: number;
  failures: Record<string, number>;
  answers: Record<string, number>;
}

const setPolicy = async (p: number) => {
  const r = await labExecCapture(router, ['sysctl', '-w', `net.ipv4.fib_multipath_hash_policy=${p}`], { repoRoot: REPO, name: lab.name });
  expect(r.code, r.stderr).toBe(0);
};

/** One phase at the router's current policy; returns the table it printed and what it saved. */
async function phase(file: string): Promise<{ table: string; saved: Phase }> {
  const r = await run([process.execPath, join(REPO, 'bench', 'load', 'spread.mjs'), '-i', inventory, '--name', lab.name, '--count', String(COUNT), '--concurrency', '32', '--deadline-s', '60', '--save', join(dir, file)]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { table: r.stdout, saved: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Phase };
}

describeLab('the seed load test: one client, L3 vs L4 ECMP hashing', () => {
  beforeAll(async () => {
    lab = requireLab();
    // The lab's inventory with the repository's group_vars beside it (a named lab keeps its
    // inventory in its state dir), converged by the seed's lab playbook.
    dir = mkdtempSync(join(tmpdir(), 'fabric-load-'));
    inventory = join(dir, 'inventory.yml');
    copyFileSync(lab.inventoryPath, inventory);
    symlinkSync(join(REPO, 'inventory', 'group_vars'), join(dir, 'group_vars'));
    const inv = loadInventory(inventory);
    nodes = inv.groups().k8s!;
    router = inv.groups().router![0]!;
    expect(nodes).toHaveLength(4);
    const r = await runFabric(['play', 'playbooks/lab.yml', '-i', inventory], { timeoutMs: LONG });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, LONG);

  afterAll(async () => {
    if (!lab || !dir) return;
    // The router's hash policy as the inventory has it (the ecmp role puts L4 back).
    await runFabric(['play', 'playbooks/lab.yml', '-i', inventory, '--tags', 'ecmp'], { timeoutMs: LONG });
    rmSync(dir, { recursive: true, force: true });
  }, LONG);

  it(`L3 hashing: all ${COUNT} connections land on one node, none fails`, async () => {
    await setPolicy(0);
    const { table, saved } = await phase('l3.json');
    expect(saved.policy).toBe(0);
    expect(saved.failed, JSON.stringify(saved.failures)).toBe(0);
    expect(saved.notRun).toBe(0);
    expect(saved.started).toBe(COUNT);
    const got = Object.keys(saved.answers);
    expect(got, JSON.stringify(saved.answers)).toHaveLength(1);
    expect(nodes).toContain(got[0]);
    expect(saved.answers[got[0]!]).toBe(COUNT);
    expect(table).toMatch(new RegExp(`^\\s+${got[0]}\\s+${COUNT}\\s+100\\.0%`, 'm'));
    for (const other of nodes.filter((n) => n !== got[0])) expect(table).toMatch(new RegExp(`^\\s+${other}\\s+0\\s+0\\.0%`, 'm'));
  }, LONG);

  it(`L4 hashing: the same ${COUNT} connections reach all four nodes, each at least 10 %, none fails`, async () => {
    await setPolicy(1);
    const { saved } = await phase('l4.json');
    expect(saved.policy).toBe(1);
    expect(saved.failed, JSON.stringify(saved.failures)).toBe(0);
    expect(saved.started).toBe(COUNT);
    expect(Object.keys(saved.answers).sort()).toEqual([...nodes].sort());
    for (const n of nodes) expect(saved.answers[n], `${n}: ${JSON.stringify(saved.answers)}`).toBeGreaterThanOrEqual(COUNT * 0.1);
    expect(Object.values(saved.answers).reduce((a, b) => a + b, 0)).toBe(COUNT);
  }, LONG);

  // Draws the two phases the tests above saved.
  it(`the chart is well-formed SVG with one panel per phase, every node and every measured count`, async () => {
    const svgFile = join(dir, 'chart.svg');
    const r = await run([process.execPath, join(REPO, 'bench', 'load', 'chart.mjs'), join(dir, 'l3.json'), join(dir, 'l4.json'), '--out', svgFile]);
    expect(r.code, r.stderr).toBe(0);
    // A real XML parser (Python's, there for the Ansible oracle): the root is SVG's svg element.
    const root = execFileSync('python3', ['-c', 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)', svgFile], { encoding: 'utf8' }).trim();
    expect(root).toBe('{http://www.w3.org/2000/svg}svg');
    const svg = readFileSync(svgFile, 'utf8');
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(svg.match(/<g class="panel">/g)).toHaveLength(2);
    expect(texts).toContain('L3 hashing (fib_multipath_hash_policy=0)');
    expect(texts).toContain('L4 hashing (fib_multipath_hash_policy=1)');
    for (const file of ['l3.json', 'l4.json']) {
      const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Phase;
      for (const n of nodes) expect(texts, `${file} ${n}`).toContain(String(saved.answers[n] ?? 0));
    }
    for (const n of nodes) expect(texts.filter((t) => t === n), n).toHaveLength(2);
  }, LONG);
});
