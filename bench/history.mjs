// What recording the run history costs: the bench play's no-op rerun on the lab, with the history
// on and with --no-history, interleaved so load drifts hit both alike.
// Usage: node bench/history.mjs [--hosts 5] [--runs 15] [--name hist]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH, FABRIC, REPO, flag, load1, log, median, timed } from './lib.mjs';

const HOSTS = Number(flag('hosts', '5'));
const RUNS = Number(flag('runs', '15'));
const LAB = flag('name', 'hist');
if (LAB === 'fab') throw new Error('the default lab `fab` belongs to the integration suite: pick another --name');

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, mean ${mean(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms`;

async function play(inventory, playbook, env) {
  const r = await timed(['node', FABRIC, 'play', playbook, '-i', inventory], { CI: '1', ...env });
  if (r.code !== 0) throw new Error(`fabric play ${playbook}: exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  if (/warning: run history/.test(r.stderr)) throw new Error(`the history was not written: ${r.stderr}`);
  return r;
}

async function main() {
  const { labUp, labDown } = await import(join(REPO, 'dist', 'lab', 'index.js'));
  const work = mkdtempSync(join(tmpdir(), 'fabric-bench-history-'));
  const history = join(work, 'history.sqlite');
  log(`lab ${LAB}: ${HOSTS} hosts up…`);
  await labDown({ repoRoot: REPO, name: LAB }).catch(() => undefined);
  const lab = await labUp({ repoRoot: REPO, name: LAB, hosts: HOSTS });
  try {
    const inv = lab.inventoryPath;
    await play(inv, join(BENCH, 'reset.fabric.yml'), { FABRIC_HISTORY: 'off' });
    await play(inv, join(BENCH, 'play.fabric.yml'), { FABRIC_HISTORY: 'off' });
    const on = [];
    const off = [];
    const timings = join(work, 'timings.json');
    const tasksOn = [];
    const tasksOff = [];
    const recordMs = [];
    const cpuOn = [];
    const cpuOff = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first: neither always runs right after the other's connection reuse.
      const order = i % 2 ? ['on', 'off'] : ['off', 'on'];
      for (const which of order) {
        const r = await play(inv, join(BENCH, 'play.fabric.yml'), { FABRIC_HISTORY: which === 'on' ? history : 'off', FABRIC_TIMINGS: timings });
        const t = JSON.parse(readFileSync(timings, 'utf8'));
        (which === 'on' ? on : off).push(r.ms);
        (which === 'on' ? tasksOn : tasksOff).push(t.tasksMs);
        (which === 'on' ? cpuOn : cpuOff).push(t.cpuMs);
        if (which === 'on') recordMs.push(t.historyMs);
      }
    }
    const out = [
      `${HOSTS} hosts, ${RUNS} no-op reruns each, load ${load1()}`,
      `history on:    ${fmt(on)}`,
      `--no-history:  ${fmt(off)}`,
      `difference of medians: ${(median(on) - median(off)).toFixed(1)} ms`,
      `tasks phase (to the end of the run, the history write included): on ${fmt(tasksOn)}; off ${fmt(tasksOff)}`,
      `CPU of the fabric process: on ${fmt(cpuOn)}; off ${fmt(cpuOff)}`,
      `storing the run at its end (one transaction, close; the library was loaded and the file opened as the run started): ${fmt(recordMs)}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await labDown({ repoRoot: REPO, name: LAB });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
