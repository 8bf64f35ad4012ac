// `fabric run all -- uptime` against `ansible all -a uptime` on the same lab hosts, both with their
// connections held (fabric's holder, Ansible's ControlPersist masters) as an operator's second
// command of the day finds them. Median wall time of --runs each.
// Usage: npm run bench:adhoc [-- --hosts 5 --runs 7 --name adh]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeAnsibleEnv } from './ansible-env.mjs';
import { BENCH, FABRIC, REPO, flag, load1, log, median, timed } from './lib.mjs';

const HOSTS = Number(flag('hosts', '5'));
const RUNS = Number(flag('runs', '7'));
const LAB = flag('name', 'adh');
const OUT = flag('out', join(BENCH, 'results', 'adhoc-latest.json'));

/** One timed run; every host must answer with uptime's output. */
async function once(argv, env) {
  const r = await timed(argv, env);
  const answered = (r.stdout.match(/ \| CHANGED \| rc=0 >>\n.* up /g) ?? []).length;
  if (r.code !== 0 || answered !== HOSTS) throw new Error(`${argv.join(' ')}: exit ${r.code}, ${answered}/${HOSTS} hosts answered\n${r.stdout}\n${r.stderr}`);
  return r.ms;
}

async function main() {
  const { labUp, labDown } = await import(join(REPO, 'dist', 'lab', 'index.js'));
  const work = mkdtempSync(join(tmpdir(), 'fabric-bench-adhoc-'));
  await labDown({ repoRoot: REPO, name: LAB }).catch(() => undefined);
  const lab = await labUp({ repoRoot: REPO, name: LAB, hosts: HOSTS });
  try {
    const ansible = writeAnsibleEnv(join(work, 'ansible'), lab);
    const tools = {
      fabric: { argv: ['node', FABRIC, 'run', 'all', '-i', lab.inventoryPath, '--', 'uptime'], env: { CI: '1' } },
      ansible: { argv: ['ansible', 'all', '-a', 'uptime'], env: ansible.env },
    };
    const result = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, hosts: HOSTS, runs: RUNS };
    for (const [name, t] of Object.entries(tools)) {
      await once(t.argv, t.env); // opens the held connections / ControlPersist masters
      const ms = [];
      for (let i = 0; i < RUNS; i++) ms.push(await once(t.argv, t.env));
      result[name] = { medianMs: median(ms), runsMs: ms.map(Math.round), load1: load1() };
      log(`${name}: median ${(median(ms) / 1000).toFixed(2)} s over ${RUNS} runs`);
    }
    spawnSync('node', [FABRIC, 'disconnect'], { stdio: 'ignore' });
    for (const c of ansible.controlPaths) spawnSync('ssh', ['-o', `ControlPath=${c.path}`, '-O', 'exit', c.address], { stdio: 'ignore' });
    result.ratio = Number((result.ansible.medianMs / result.fabric.medianMs).toFixed(1));
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`| hosts | fabric run all -- uptime | ansible all -a uptime | ratio |\n|---|---|---|---|\n| ${HOSTS} | ${(result.fabric.medianMs / 1000).toFixed(2)} s | ${(result.ansible.medianMs / 1000).toFixed(2)} s | ${result.ratio}x |\nwritten ${OUT}\n`);
  } finally {
    await labDown({ repoRoot: REPO, name: LAB });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
