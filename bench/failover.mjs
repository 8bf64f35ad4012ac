// Fast failover in the lab: how long the router keeps sending connections to a node that died,
// with the BGP hold time only and with BFD, for a speaker stopped (FRR ends its sessions) and for
// its link cut (nothing is said: only a timer notices). Measured inside the lab's namespaces on
// one clock: the cut, the moment the kernel route of the service address loses that next hop,
// and a client on the workstation opening a connection every ~50 ms meanwhile.
// Usage: npm run bench:failover [-- --repeat 1]   (needs the default lab: it runs the seed's lab.yml)
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BENCH, FABRIC, REPO, flag, log, median } from './lib.mjs';

const REPEAT = Number(flag('repeat', '1'));
const OUT = flag('out', join(BENCH, 'results', 'failover.json'));
const VIP = '172.16.1.220';
const { labUp, labExecCapture } = await import(join(REPO, 'dist', 'lab', 'index.js'));
const lab = await labUp({ repoRoot: REPO });
const host = (name) => lab.hosts.find((h) => h.name === name);
const VICTIM = 'w3';
const victimIp = host(VICTIM).address;

async function sh(name, script) {
  const r = await labExecCapture(name, ['sh', '-c', script], { repoRoot: REPO });
  if (r.code !== 0) throw new Error(`${name}: ${script}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

function fabric(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [FABRIC, ...args], { cwd: REPO, env: { ...process.env, CI: '1', FABRIC_HISTORY: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`fabric ${args.join(' ')}: exit ${code}\n${out.slice(-3000)}`))));
  });
}

/** Until the router has one FIB next hop per k8s node for the service address (and BFD up when on). */
async function waitConverged(bfd) {
  for (let i = 0; i < 120; i++) {
    const hops = (await sh('router', `ip route show ${VIP}/32`)).match(/nexthop via/g)?.length ?? 0;
    const bfdUp = bfd ? ((await sh('router', "vtysh -c 'show bfd peers json'")).match(/"status":"up"/g)?.length ?? 0) : 4;
    if (hops === 4 && bfdUp === 4) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the router did not get 4 next hops back');
}

/**
 * One failure: the client loop starts, the victim fails after 2 s, the router's kernel route is
 * polled every 20 ms until the victim's next hop is gone. Times in ms on the machine's clock.
 */
async function once(kind) {
  const clientScript = `end=$(( $(date +%s%3N) + 16000 )); while [ $(date +%s%3N) -lt $end ]; do t=$(date +%s%3N); c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 http://${VIP}/); echo "$t $c"; done`;
  const client = sh('workstation', clientScript);
  const watch = sh('router', `while ip route show ${VIP}/32 | grep -q 'via ${victimIp} '; do sleep 0.02; done; date +%s%3N`);
  await new Promise((r) => setTimeout(r, 2000));
  const cutAt = Number(await sh(VICTIM, kind === 'link cut' ? 'date +%s%3N; ip link set eth0 down' : 'date +%s%3N; /usr/lib/frr/frrinit.sh stop >/dev/null 2>&1').then((s) => s.trim().split('\n')[0]));
  const goneAt = Number((await watch).trim());
  const lines = (await client).trim().split('\n').map((l) => l.split(' ')).map(([t, c]) => ({ t: Number(t), ok: c === '200' }));
  const during = lines.filter((l) => l.t >= cutAt && l.t <= goneAt + 500);
  // Put the victim back: link up, FRR started, sessions and BFD back.
  await sh(VICTIM, kind === 'link cut' ? 'ip link set eth0 up' : '/usr/lib/frr/frrinit.sh start >/dev/null 2>&1');
  return { detectMs: goneAt - cutAt, failed: during.filter((l) => !l.ok).length, attempts: during.length, failedAll: lines.filter((l) => !l.ok).length };
}

const results = [];
for (const bfd of [false, true]) {
  log(`converging lab.yml with bfd_enabled=${bfd}…`);
  await fabric(['play', 'playbooks/lab.yml', '-i', 'inventory/lab.yml', '--tags', 'router,speaker', '-e', JSON.stringify({ bfd_enabled: bfd })]);
  for (const kind of ['speaker stopped', 'link cut']) {
    const runs = [];
    for (let i = 0; i < REPEAT; i++) {
      await waitConverged(bfd);
      const r = await once(kind);
      log(`  bfd ${bfd ? 'on' : 'off'}, ${kind}: next hop gone after ${r.detectMs} ms, ${r.failed}/${r.attempts} client connections failed meanwhile`);
      runs.push(r);
    }
    results.push({ bfd, kind, detectMs: median(runs.map((r) => r.detectMs)), failed: median(runs.map((r) => r.failed)), attempts: median(runs.map((r) => r.attempts)), runs });
  }
}
await fabric(['play', 'playbooks/lab.yml', '-i', 'inventory/lab.yml', '--tags', 'router,speaker']);
await waitConverged(true);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ date: new Date().toISOString(), victim: VICTIM, results }, null, 2) + '\n');
const row = (r) => `| ${r.bfd ? 'BFD 3 x 300 ms' : 'BGP hold time 9 s only'} | ${r.kind} | ${(r.detectMs / 1000).toFixed(2)} s | ${r.failed} of ${r.attempts} |`;
process.stdout.write(['| detection | failure | until the router dropped the next hop | client connections failed meanwhile |', '|---|---|---|---|', ...results.map(row)].join('\n') + `\nwritten ${OUT}\n`);
