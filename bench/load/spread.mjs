// One phase of the seed's load test: with whatever hash policy the router has now, the
// workstation opens --count connections to the service address (bench/load/connect.mjs, inside
// the workstation's namespace), and the answers per node are printed as a table and saved as
// JSON for bench/load/chart.mjs. Hosts, groups and the service address come from the inventory;
// the policy is read from the router, not assumed. Needs a converged lab (playbooks/lab.yml).
// Usage: node bench/load/spread.mjs -i INVENTORY [--name LAB] [--count 12000] [--concurrency 64]
//          [--timeout-ms 5000] [--deadline-s 120] [--wait-s 60] [--save FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const { loadInventory } = await import(join(REPO, 'dist', 'inventory', 'index.js'));
const { labExecCapture } = await import(join(REPO, 'dist', 'lab', 'index.js'));
const { spreadTable } = await import(join(REPO, 'dist', 'lab', 'spread-report.js'));

function flag(name, dflt) {
  const i = process.argv.findIndex((a) => a === `--${name}` || (name === 'inventory' && a === '-i'));
  return i > 0 ? process.argv[i + 1] : dflt;
}

const inventoryPath = resolve(flag('inventory', join(REPO, 'inventory', 'lab.yml')));
const opts = { repoRoot: REPO, ...(flag('name') ? { name: flag('name') } : {}) };
const inv = loadInventory(inventoryPath);
const groups = inv.groups();
const nodes = groups.k8s ?? [];
const router = groups.router?.[0];
const workstation = groups.workstation?.[0];
const vip = router && inv.hostVars(router).metallb_test_address;
if (!nodes.length || !router || !workstation || !vip) {
  process.stderr.write(`spread.mjs: ${inventoryPath} needs groups k8s, router, workstation and metallb_test_address (group_vars beside it)\n`);
  process.exit(2);
}

async function exec(host, argv) {
  const r = await labExecCapture(host, argv, opts);
  if (r.code !== 0) throw new Error(`${host}: ${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/**
 * A fresh lab answers before BGP has converged (FRR was just restarted): until the router's
 * kernel route to the service address has one next hop per node, connections would fail for
 * that reason, not for the load. Waits up to --wait-s for it; says what it saw if it never comes.
 */
async function waitRouted() {
  const waitMs = Number(flag('wait-s', '60')) * 1000;
  const t = Date.now();
  for (;;) {
    const route = await exec(router, ['ip', '-4', 'route', 'show', `${vip}/32`]);
    const hops = route.match(/nexthop via/g)?.length ?? (/ via /.test(route) ? 1 : 0);
    if (hops === nodes.length) return Date.now() - t;
    if (Date.now() - t > waitMs) throw new Error(`${router} routes ${vip} via ${hops} next hops, not ${nodes.length} (one per node), after ${waitMs / 1000} s: is the lab converged (playbooks/lab.yml)?\n${route}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const waited = await waitRouted();
if (waited >= 500) process.stderr.write(`spread.mjs: waited ${(waited / 1000).toFixed(1)} s for the router's ${nodes.length} next hops to ${vip}\n`);

// Linux: 0 hashes addresses only (L3), 1 adds the ports (L4); 2 and 3 are inner/custom.
const KINDS = { 0: 'L3', 1: 'L4', 2: 'L3 inner', 3: 'custom' };
const policy = Number((await exec(router, ['sysctl', '-n', 'net.ipv4.fib_multipath_hash_policy'])).trim());
const generator = [process.execPath, join(HERE, 'connect.mjs'), '--host', String(vip), '--port', '80'];
for (const k of ['count', 'concurrency', 'timeout-ms', 'deadline-s']) if (flag(k)) generator.push(`--${k}`, flag(k));
const out = JSON.parse(await exec(workstation, generator));
const run = {
  label: `${KINDS[policy] ?? `policy ${policy}`} hashing (fib_multipath_hash_policy=${policy})`,
  policy,
  nodes,
  ...out,
};
process.stdout.write(`${spreadTable(run)}\n  (${out.distinctSourcePorts} distinct source ports, at most ${out.peakOpen} open at once${out.notRun ? `, ${out.notRun} not run before the deadline` : ''})\n`);
const save = flag('save');
if (save) {
  mkdirSync(dirname(resolve(save)), { recursive: true });
  writeFileSync(save, JSON.stringify(run, null, 2) + '\n');
}
