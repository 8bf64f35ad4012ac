// fabric vs ansible-playbook on the lab: first converge and median no-op rerun, per host count.
// Usage: node bench/bench.mjs [--hosts 5,25,100] [--reruns 3] [--ansible-reruns 3] [--repeat 1] [--tools fabric,ansible] [--name perf] [--out file]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAnsibleEnv } from './ansible-env.mjs';
import { BENCH, FABRIC, REPO, flag, load1, log, median, timed } from './lib.mjs';

const HOSTS = flag('hosts', '5,25,100').split(',').map(Number);
const RERUNS = Number(flag('reruns', '3'));
// Ansible takes minutes per run at 100 hosts on 2 cores: fewer no-op reruns keep the bench in an hour.
const ANSIBLE_RERUNS = Number(flag('ansible-reruns', String(RERUNS)));
const REPEAT = Number(flag('repeat', '1'));
// --baseline DIR: also time the fabric checked out (and built) in DIR, as tool `baseline`, in the same run.
const BASELINE = flag('baseline', undefined);
const TOOLS = [...flag('tools', 'fabric,ansible').split(','), ...(BASELINE ? ['baseline'] : [])];
const LAB = flag('name', 'perf');
// --delay 10ms,50ms: each host count once per added round-trip time on the controller's path
// (fabric lab up --delay); tool `mitogen` is ansible-playbook with strategy mitogen_linear.
const DELAYS = flag('delay', '0').split(',').map((d) => Number(d.replace(/ms$/, '')));
const OUT = flag('out', join(BENCH, 'results', 'latest.json'));
if (LAB === 'fab') throw new Error('the default lab `fab` belongs to the integration suite: pick another --name');


/** Ansible-style recap (both tools print it): host -> counters. */
function recap(stdout) {
  const out = {};
  const re = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm;
  for (const m of stdout.replace(/\x1b\[[0-9;]*m/g, '').matchAll(re)) out[m[1]] = { ok: +m[2], changed: +m[3], unreachable: +m[4], failed: +m[5] };
  return out;
}

function check(r, what, hosts, { noop }) {
  const rc = recap(r.stdout);
  const names = Object.keys(rc);
  const bad = names.filter((h) => rc[h].failed || rc[h].unreachable || (noop && rc[h].changed));
  if (r.code !== 0 || names.length !== hosts || bad.length) {
    throw new Error(`${what}: exit ${r.code}, ${names.length}/${hosts} hosts in recap, bad: ${bad.join(',')}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }
  return names.reduce((n, h) => n + rc[h].changed, 0);
}

async function fabric(inventory, playbook, hosts, noop, timingsFile, bin = FABRIC) {
  const r = await timed(['node', bin, 'play', playbook, '-i', inventory], { FABRIC_TIMINGS: timingsFile, CI: '1' });
  const changed = check(r, `fabric ${playbook}`, hosts, { noop });
  const phases = JSON.parse(readFileSync(timingsFile, 'utf8'));
  return { ms: r.ms, changed, phases };
}

async function ansible(env, hosts, noop) {
  const r = await timed(['ansible-playbook', join(BENCH, 'play.ansible.yml')], env);
  return { ms: r.ms, changed: check(r, `ansible-playbook (${env.ANSIBLE_STRATEGY ?? 'linear'})`, hosts, { noop }) };
}

/** Ends Ansible's ControlPersist masters (talks to the local control sockets only). */
function closeMasters(controlPaths) {
  for (const c of controlPaths) spawnSync('ssh', ['-o', `ControlPath=${c.path}`, '-O', 'exit', c.address], { stdio: 'ignore' });
}

/** Ends fabric's held connections (`fabric disconnect`, the counterpart of `ssh -O exit`). */
function disconnectFabric(bin = FABRIC) {
  const r = spawnSync('node', [bin, 'disconnect'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fabric disconnect: exit ${r.status}: ${r.stderr}`);
}

async function benchTool(tool, ctx) {
  const { lab, hosts, work } = ctx;
  // Every tool converges from the same state: the reset play undoes the bench play (not timed).
  await fabric(lab.inventoryPath, join(BENCH, 'reset.fabric.yml'), hosts, false, join(work, 'reset.json'));
  const runs = [];
  const loads = [load1()];
  // Both tools converge without a held connection (Ansible's ControlPersist masters, fabric's
  // connection holder), and rerun with the ones the converge left, as an operator would.
  const bin = tool === 'baseline' ? join(BASELINE, 'bin', 'fabric') : FABRIC;
  const isAnsible = tool === 'ansible' || tool === 'mitogen';
  const env = tool === 'mitogen' ? { ...ctx.ansible.env, ANSIBLE_STRATEGY: 'mitogen_linear' } : ctx.ansible.env;
  if (isAnsible) closeMasters(ctx.ansible.controlPaths);
  else disconnectFabric(bin);
  const run = (noop) =>
    isAnsible
      ? ansible(env, hosts, noop)
      : fabric(lab.inventoryPath, join(BENCH, 'play.fabric.yml'), hosts, noop, join(work, 'timings.json'), bin);
  const converge = await run(false);
  if (converge.changed === 0) throw new Error(`${tool}: the first converge changed nothing: the reset did not work`);
  for (let i = 0; i < (isAnsible ? ANSIBLE_RERUNS : RERUNS); i++) {
    runs.push(await run(true));
    loads.push(load1());
  }
  if (isAnsible) closeMasters(ctx.ansible.controlPaths);
  else disconnectFabric(bin);
  const noopMs = median(runs.map((r) => r.ms));
  const mid = runs.find((r) => r.ms === noopMs);
  return { convergeMs: converge.ms, noopMs, noopRunsMs: runs.map((r) => r.ms), convergePhases: converge.phases, noopPhases: mid.phases, load1: loads };
}

async function main() {
  const { labUp, labDown } = await import(join(REPO, 'dist', 'lab', 'index.js'));
  const results = [];
  const work = mkdtempSync(join(tmpdir(), 'fabric-bench-'));
  try {
    for (const hosts of HOSTS) for (const delayMs of DELAYS) {
      log(`lab ${LAB}: ${hosts} hosts up${delayMs ? ` with ${delayMs} ms RTT` : ''}…`);
      await labDown({ repoRoot: REPO, name: LAB }).catch(() => undefined);
      const links = delayMs ? { '*': { delayMs, lossPct: 0 } } : undefined;
      const lab = await labUp({ repoRoot: REPO, name: LAB, hosts, links });
      try {
        const ctx = { lab, hosts, work, ansible: writeAnsibleEnv(join(work, `ansible-${hosts}-${delayMs}`), lab) };
        for (let rep = 0; rep < REPEAT; rep++) {
          const row = { hosts, delayMs, repeat: rep + 1 };
          for (const tool of TOOLS) {
            log(`  ${hosts} hosts, ${tool} (repeat ${rep + 1}/${REPEAT}, load ${load1()})`);
            row[tool] = await benchTool(tool, ctx);
          }
          results.push(row);
          log(DELAYS.some(Boolean) ? formatLatency([row]) : format([row]));
        }
      } finally {
        await labDown({ repoRoot: REPO, name: LAB });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const doc = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    ansible: spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? null,
    reruns: RERUNS,
    ansibleReruns: ANSIBLE_RERUNS,
    results,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(doc, null, 2) + '\n');
  const table = DELAYS.some(Boolean) ? formatLatency(results) : format(results);
  process.stdout.write(table + (BASELINE ? `\n\n${formatBaseline(results)}` : '') + `\nwritten ${OUT}\n`);
}

const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a, f) => (a && f ? `${(a / f).toFixed(1)}x` : '-');

export function format(rows) {
  const head = ['hosts', 'fabric converge', 'ansible converge', 'ratio', 'fabric no-op', 'ansible no-op', 'ratio', 'fabric RSS', 'startup', 'connect', 'tasks', 'load'];
  const lines = rows.map((r) => {
    const f = r.fabric ?? {};
    const a = r.ansible ?? {};
    const p = f.noopPhases ?? {};
    const rss = Math.max(f.convergePhases?.maxRssKb ?? 0, p.maxRssKb ?? 0);
    const loads = [...(f.load1 ?? []), ...(a.load1 ?? [])];
    return [
      r.hosts,
      s(f.convergeMs),
      s(a.convergeMs),
      ratio(a.convergeMs, f.convergeMs),
      s(f.noopMs),
      s(a.noopMs),
      ratio(a.noopMs, f.noopMs),
      rss ? `${(rss / 1024).toFixed(0)} MB` : '-',
      p.startupMs === undefined ? '-' : `${(p.startupMs + p.planMs).toFixed(0)} ms`,
      p.connectMs === undefined ? '-' : `${p.connectMs.toFixed(0)} ms`,
      p.tasksMs === undefined ? '-' : `${p.tasksMs.toFixed(0)} ms`,
      loads.length ? `${Math.min(...loads)}-${Math.max(...loads)}` : '-',
    ];
  });
  const all = [head, ...lines].map((l) => l.map(String));
  const w = head.map((_, i) => Math.max(...all.map((l) => l[i].length)));
  const fmt = (l) => '| ' + l.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
  return [fmt(all[0]), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...all.slice(1).map(fmt)].join('\n');
}

/**
 * At a round-trip time: no-op and converge of fabric, ansible-playbook and Ansible with Mitogen,
 * the ratios, and fabric's no-op in RTTs beyond start-up ((connect + tasks) / RTT).
 */
export function formatLatency(rows) {
  const head = '| hosts | RTT | fabric no-op | ansible no-op | ratio | mitogen no-op | ratio | fabric no-op in RTTs after start-up | fabric converge | ansible converge | mitogen converge |';
  const lines = rows.map((r) => {
    const [f, a, m] = [r.fabric ?? {}, r.ansible ?? {}, r.mitogen ?? {}];
    const p = f.noopPhases ?? {};
    const rtts = r.delayMs && p.connectMs !== undefined ? ((p.connectMs + p.tasksMs) / r.delayMs).toFixed(1) : '-';
    return `| ${r.hosts} | ${r.delayMs} ms | ${s(f.noopMs)} | ${s(a.noopMs)} | ${ratio(a.noopMs, f.noopMs)} | ${s(m.noopMs)} | ${ratio(m.noopMs, f.noopMs)} | ${rtts} | ${s(f.convergeMs)} | ${s(a.convergeMs)} | ${s(m.convergeMs)} |`;
  });
  return [head, '|' + '---|'.repeat(11), ...lines].join('\n');
}

/** This checkout against --baseline, side by side: converge and no-op, and the ratio (above 1: this one is faster). */
export function formatBaseline(rows) {
  const lines = rows.map((r) => {
    const f = r.fabric ?? {};
    const b = r.baseline ?? {};
    return `| ${r.hosts} | ${s(b.convergeMs)} | ${s(f.convergeMs)} | ${ratio(b.convergeMs, f.convergeMs)} | ${s(b.noopMs)} | ${s(f.noopMs)} | ${ratio(b.noopMs, f.noopMs)} |`;
  });
  return ['| hosts | baseline converge | this converge | ratio | baseline no-op | this no-op | ratio |', '|---|---|---|---|---|---|---|', ...lines].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    log(`bench: ${e.stack ?? e}`);
    process.exitCode = 1;
  });
}
