// Draws the load test's chart: one panel per phase saved by bench/load/spread.mjs --save, side
// by side (L3 then L4 in the demo), as an SVG file.
// Usage: node bench/load/chart.mjs PHASE.json... --out FILE.svg
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { spreadChartSvg } = await import(join(REPO, 'dist', 'lab', 'spread-report.js'));

const args = process.argv.slice(2);
const o = args.indexOf('--out');
const out = o >= 0 ? args[o + 1] : undefined;
const inputs = args.filter((_, i) => i !== o && i !== o + 1);
if (!out || !inputs.length) {
  process.stderr.write('usage: node bench/load/chart.mjs PHASE.json... --out FILE.svg\n');
  process.exit(2);
}
const runs = inputs.map((f) => JSON.parse(readFileSync(f, 'utf8')));
mkdirSync(dirname(resolve(out)), { recursive: true });
writeFileSync(out, spreadChartSvg(runs));
process.stdout.write(`chart: ${resolve(out)}\n`);
