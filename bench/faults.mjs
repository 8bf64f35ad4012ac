// Fault injection on a lab of our own (issue 21.6): runs of a play that writes managed files on
// every host, each with one random fault injected while it runs (a seeded PRNG picks the kind, the
// host and the moment), then checks the run's exit code and recap against what the hosts hold, that
// no managed file is half-written, that the next clean run converges and a further pass changes
// nothing, and that no fabric temp file is left on any host.
//
//   npm run faults -- [--runs 300] [--seed N] [--hosts 3] [--name fi] [--keep-lab]
//
// Prints the seed first (`--seed` reproduces the same sequence of faults and moments; what the
// kernel and the machine's load do with them is not reproducible), a line per violation, and the
// counts as JSON at the end. Exit 0 when there is no violation, 1 otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { labDown, labUp } from '../dist/lab/index.js';
import { hostInits, hostListening } from '../dist/lab/hosts.js';
import { LAB_ENV } from '../dist/lab/host-files.js';
import { labPaths } from '../dist/lab/state.js';
import { controllerNs, nsName, resolveTopology } from '../dist/lab/topology.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const FABRIC = join(REPO, 'bin', 'fabric');
const DELAY_PROXY = join(REPO, 'dist', 'lab', 'delay-proxy.js');

export const KINDS = ['host-kill', 'sshd-restart', 'link-drop', 'loss-spike', 'holder-kill', 'sigint', 'sigkill'];
const HOST_KINDS = new Set(['host-kill', 'sshd-restart', 'link-drop', 'loss-spike']);
/** The managed files, each written by a different path of the engine. */
const FILES = {
  '/opt/fi/big.bin': 'copy of a 160 KiB file (over SFTP: above the inline limit)',
  '/opt/fi/app.conf': 'copy of inline content (written in the write script itself)',
  '/opt/fi/host.conf': 'template',
  '/opt/fi/limits.conf': 'lineinfile',
};
const TASKS = 6; // directory, big.bin, app.conf, a pause, host.conf, limits.conf

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: small, seeded, good enough to pick faults. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

function bigContent(gen) {
  const lines = [];
  for (let i = 0; lines.length * 40 < 160 * 1024; i++) lines.push(`gen ${String(gen).padStart(6, '0')} line ${String(i).padStart(6, '0')} ........\n`);
  return Buffer.from(lines.join(''));
}

/** Each managed file's bytes at generation gen on host (what the play writes with -e gen=N). */
function expected(file, gen, host) {
  switch (file) {
    case '/opt/fi/big.bin':
      return bigContent(gen);
    case '/opt/fi/app.conf':
      return Buffer.from(`gen=${gen}\nworkers=4\n`);
    case '/opt/fi/host.conf':
      return Buffer.from(`# managed by fabric\nhost=${host}\ngen=${gen}\n`);
    case '/opt/fi/limits.conf':
      return Buffer.from(`gen=${gen}\n`);
  }
  throw new Error(file);
}

const PLAY = `- hosts: bench
  gather_facts: false
  tasks:
    - file: {path: /opt/fi, state: directory, mode: '0755'}
    - copy: {src: big.bin, dest: /opt/fi/big.bin, mode: '0644'}
    - copy: {dest: /opt/fi/app.conf, content: "gen={{ gen }}\\nworkers=4\\n", mode: '0644'}
    - command: {argv: [sleep, '0.3']}
      changed_when: false
    - template: {src: host.conf.j2, dest: /opt/fi/host.conf, mode: '0644'}
    - lineinfile: {path: /opt/fi/limits.conf, regexp: '^gen=', line: 'gen={{ gen }}', create: true}
`;
const TEMPLATE = '# managed by fabric\nhost={{ inventory_hostname }}\ngen={{ gen }}\n';

function recapOf(stdout) {
  const out = {};
  const re = /^(\S+)\s+:\s+(ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=\d+\s+skipped=\d+\s+rescued=\d+\s+ignored=\d+)\s*$/gm;
  for (const m of stdout.replace(/\x1b\[[0-9;]*m/g, '').matchAll(re)) {
    out[m[1]] = Object.fromEntries(m[2].split(/\s+/).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]));
  }
  return out;
}

/** /proc entries: pid, ppid, cmdline, pid namespace. */
function processes() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({
        pid: Number(d),
        ppid: Number(f[1]),
        zombie: f[0] === 'Z',
        cmdline: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '),
        pidNs: readlinkSync(`/proc/${d}/ns/pid`),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function exec(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, ...opts });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * The long run (cycle: the fault kinds in turn instead of drawn). Returns the counts; violations lists each with seed, run, fault, host and what was
 * wrong. log gets progress lines.
 */
export async function runFaults({ cycle = false, runs = 300, seed = Date.now() % 2 ** 31, hosts = 3, name = 'fi', keepLab = false, log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  const rand = prng(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  log(`fault injection: seed ${seed}, ${runs} runs, lab ${name} (${hosts} hosts)`);
  const opts = { repoRoot: REPO, name, hosts };
  const t = resolveTopology(opts);
  const p = labPaths(REPO, name);
  // A fresh lab each time: a lab left up by an earlier run may have lost its supervisor (below).
  await labDown(opts);
  const lab = await labUp(opts);
  // The hosts' disks (tmpfs) are mounted in the supervisor's mount namespace, and a host booted
  // again after its PID 1 was killed must be started there. The supervisor exits once every host
  // it started has ended, so a keeper of ours holds that namespace for the whole run (a bash
  // reading our pipe: it ends with us; its command line names stage 1, so lab down ends it too).
  const sup = readFileSync(p.pidsFile, 'utf8').split('\n').filter(Boolean).map(Number).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(p.supervisor);
    } catch {
      return false;
    }
  });
  if (!sup) throw new Error(`lab ${name}: no supervisor process`);
  const keeper = spawn('nsenter', [`--mount=/proc/${sup}/ns/mnt`, '--', '/bin/bash', '-c', 'read -r _', 'fault-injection-keeper', p.stage1], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((resolve, reject) => (keeper.once('spawn', resolve), keeper.once('error', reject)));
  await sleep(100);
  const names = lab.hosts.map((h) => h.name);
  const spec = new Map(t.hosts.map((h) => [h.name, h]));

  // Everything of ours in one private directory: the playbook, the inventory, the loss control
  // files, and fabric's TMPDIR and XDG_RUNTIME_DIR, so the connection holder we kill is ours alone
  // (holders are per user: another session's runs must not lose theirs).
  const work = mkdtempSync(join(tmpdir(), 'fabric-faults-'));
  const runtime = join(work, 'run');
  const ctlTmp = join(work, 'tmp');
  mkdirSync(runtime, { mode: 0o700 });
  mkdirSync(ctlTmp, { mode: 0o700 });
  mkdirSync(join(work, 'templates'));
  mkdirSync(join(work, 'files'));
  writeFileSync(join(work, 'play.yml'), PLAY);
  writeFileSync(join(work, 'templates', 'host.conf.j2'), TEMPLATE);
  const lossFile = (h) => join(work, `loss-${h}`);
  // Every host behind the lab's delay proxy (0 ms, 0 % loss) reading a control file, so a loss
  // spike reaches connections that are already open.
  const inv = parse(readFileSync(lab.inventoryPath, 'utf8'));
  for (const [h, v] of Object.entries(inv.all.children.bench.hosts)) {
    v.fabric_proxy_command = ['ip', 'netns', 'exec', controllerNs(t), process.execPath, DELAY_PROXY, '0', '0', '%h', '%p', lossFile(h)];
  }
  const invPath = join(work, 'inventory.yml');
  writeFileSync(invPath, stringify(inv));
  const env = { ...process.env, FABRIC_REQUIRE_PROXY: '1', CI: '1', TMPDIR: ctlTmp, XDG_RUNTIME_DIR: runtime, FABRIC_HISTORY: 'off' };

  const counts = { seed, runs: 0, cleanRuns: 0, injected: Object.fromEntries(KINDS.map((k) => [k, 0])), missed: Object.fromEntries(KINDS.map((k) => [k, 0])), hostRestarts: 0, outcomes: {}, violations: [] };
  const started = Date.now();
  /** Generation of each file on each host, as last seen (undefined: absent). */
  const gens = new Map(names.map((h) => [h, {}]));

  function fabric(gen, persist, extra = []) {
    writeFileSync(join(work, 'files', 'big.bin'), bigContent(gen));
    const child = spawn(process.execPath, [FABRIC, 'play', join(work, 'play.yml'), '-i', invPath, '-e', `gen=${gen}`, '--timeout', '5', ...extra], {
      cwd: work,
      env: { ...env, FABRIC_SSH_PERSIST: String(persist) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const done = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15), signal, stdout: () => stdout, stderr: () => stderr });
      }),
    );
    return { child, done, exited: () => child.exitCode !== null || child.signalCode !== null };
  }

  const inits = async () => hostInits(t);
  const rootOf = (init) => `/proc/${init}/root`;

  /** Each managed file's generation on host, from its bytes; 'torn' when it matches none it could be. */
  async function readGens(host, candidates) {
    const init = (await inits()).get(host);
    if (init === undefined) throw new Error(`${host} is not running`);
    const out = {};
    for (const f of Object.keys(FILES)) {
      let b;
      try {
        b = readFileSync(rootOf(init) + f);
      } catch {
        out[f] = undefined;
        continue;
      }
      const g = candidates.find((c) => typeof c === 'number' && sha(expected(f, c, host)) === sha(b));
      out[f] = g ?? { torn: b.length, head: b.subarray(0, 60).toString('latin1') };
    }
    return out;
  }

  /** fabric's temp files (`.NAME.fabric-XXXX`) where the play writes, and in /tmp and /root. */
  async function tempFiles(host) {
    const init = (await inits()).get(host);
    const found = [];
    for (const d of ['/opt/fi', '/opt', '/tmp', '/root']) {
      try {
        for (const n of readdirSync(rootOf(init) + d)) if (/^\..+\.fabric-/.test(n)) found.push(`${d}/${n}`);
      } catch {
        // no such directory
      }
    }
    return found;
  }

  /** Boots a host whose PID 1 was killed: stage 1 again, inside the supervisor's mount namespace (the host's disk is there). */
  async function restartHost(host) {
    const hd = p.hostDir(host);
    for (let i = 0; i < 200 && (await inits()).has(host); i++) await sleep(25);
    rmSync(join(hd, 'booted'), { force: true });
    const logFd = openSync(join(hd, 'boot.log'), 'a');
    const child = spawn('nsenter', [`--mount=/proc/${keeper.pid}/ns/mnt`, '--', 'nsenter', `--net=/run/netns/${nsName(t, host)}`, 'unshare', '--mount', '--pid', '--uts', '--fork', '--propagation', 'private', '--', '/bin/bash', p.stage1, host, hd], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: Object.fromEntries(LAB_ENV.map((kv) => kv.split('=', 2))),
    });
    child.unref();
    closeSync(logFd);
    const end = Date.now() + 60_000;
    for (;;) {
      const init = (await inits()).get(host);
      if (init !== undefined && (await hostListening(spec.get(host), init))) break;
      if (Date.now() > end) throw new Error(`${host} did not come back after its restart`);
      await sleep(50);
    }
    counts.hostRestarts++;
  }

  function hostNsenter(init, argv) {
    return ['nsenter', '-t', String(init), '-m', '-u', '-p', '-n', '-r', '-w', '--', '/usr/bin/env', '-i', ...LAB_ENV, ...argv];
  }

  /** Injects one fault; resolves to a description, or undefined when the run ended first (missed). */
  async function inject(kind, host, run, atMs) {
    await sleep(atMs);
    if (run.exited()) return undefined;
    switch (kind) {
      case 'host-kill': {
        const init = (await inits()).get(host);
        process.kill(init, 'SIGKILL');
        return `PID 1 of ${host} (${init}) killed at ${atMs} ms`;
      }
      case 'sshd-restart': {
        const init = (await inits()).get(host);
        const ns = readlinkSync(`/proc/${init}/ns/pid`);
        const listener = processes().find((pr) => pr.pidNs === ns && !pr.zombie && pr.cmdline.startsWith('/usr/sbin/sshd'));
        if (listener) process.kill(listener.pid, 'SIGTERM');
        const gap = Math.floor(rand() * 800);
        await sleep(gap);
        const r = exec(hostNsenter(init, ['/usr/sbin/sshd', '-f', '/etc/fabric-lab/sshd_config']));
        if (r.code !== 0) throw new Error(`sshd did not start again on ${host}: ${r.stderr}`);
        return `sshd of ${host} stopped at ${atMs} ms, started again ${gap} ms later`;
      }
      case 'link-drop': {
        const ns = nsName(t, host);
        const hold = 300 + Math.floor(rand() * 2500);
        exec(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'down']);
        await sleep(hold);
        const r = exec(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
        if (r.code !== 0) throw new Error(`link of ${host} not restored: ${r.stderr}`);
        return `link of ${host} down at ${atMs} ms for ${hold} ms`;
      }
      case 'loss-spike': {
        const pct = 20 + Math.floor(rand() * 60);
        const hold = 500 + Math.floor(rand() * 2500);
        writeFileSync(lossFile(host), String(pct));
        await sleep(hold);
        rmSync(lossFile(host), { force: true });
        return `${pct} % loss to ${host} at ${atMs} ms for ${hold} ms`;
      }
      case 'holder-kill': {
        const holders = processes().filter((pr) => pr.cmdline.includes('holder-main.js') && pr.cmdline.includes(runtime));
        if (!holders.length) return undefined;
        for (const h of holders) process.kill(h.pid, 'SIGKILL');
        return `connection holder ${holders.map((h) => h.pid).join(',')} killed at ${atMs} ms`;
      }
      case 'sigint':
        run.child.kill('SIGINT');
        return `controller sent SIGINT at ${atMs} ms`;
      case 'sigkill':
        run.child.kill('SIGKILL');
        return `controller sent SIGKILL at ${atMs} ms`;
    }
    throw new Error(kind);
  }

  const violation = (runNo, fault, host, file, what, r) => {
    const v = { seed, run: runNo, fault, host, file, what };
    counts.violations.push(v);
    log(`VIOLATION seed ${seed} run ${runNo} [${fault}] host ${host ?? '-'} file ${file ?? '-'}: ${what}`);
    if (r) log(`  exit ${r.code}\n${r.stdout().split('\n').slice(-40).join('\n')}\n${r.stderr().split('\n').slice(-20).join('\n')}`);
  };

  /** The clean run: converges to gen (exit 0), a second pass changes nothing (--assert-idempotent), every file at gen, no temp file left. */
  async function clean(gen, runNo, fault) {
    const r = await fabric(gen, pick([0, 60]), ['--assert-idempotent', '--lock-wait', '15']).done;
    counts.cleanRuns++;
    if (r.code !== 0) violation(runNo, fault, undefined, undefined, `the clean run after the fault did not converge (exit ${r.code}; 7 = the further pass changed something)`, r);
    for (const h of names) {
      const g = await readGens(h, [gen, ...Object.values(gens.get(h))]);
      for (const [f, v] of Object.entries(g)) if (v !== gen) violation(runNo, fault, h, f, `after the clean run: ${JSON.stringify(v)}, not generation ${gen}`);
      gens.set(h, g);
      for (const tf of await tempFiles(h)) violation(runNo, fault, h, tf, 'fabric temp file left after the clean run');
    }
    return r;
  }

  // First converge (generation 0), with no fault.
  const durations = [];
  {
    const t0 = Date.now();
    await clean(0, 0, 'none');
    durations.push(Date.now() - t0);
  }
  let meanRun = 1500;

  try {
    for (let n = 1; n <= runs; n++) {
      // cycle: the kinds in turn (a short run still sees each); otherwise drawn.
      const kind = cycle ? KINDS[(n - 1) % KINDS.length] : pick(KINDS);
      const host = HOST_KINDS.has(kind) ? pick(names) : undefined;
      const persist = kind === 'holder-kill' ? 60 : pick([0, 60]);
      const atMs = Math.floor(rand() * meanRun * 0.9);
      const before = Object.fromEntries(names.map((h) => [h, { ...gens.get(h) }]));
      const t0 = Date.now();
      const run = fabric(n, persist);
      let desc;
      try {
        desc = await inject(kind, host, run, atMs);
      } catch (e) {
        desc = undefined;
        violation(n, kind, host, undefined, `could not inject: ${e.message}`);
      }
      const r = await run.done;
      const ms = Date.now() - t0;
      counts.runs++;
      if (desc) counts.injected[kind]++;
      else counts.missed[kind]++;
      const fault = desc ? `${kind}: ${desc}` : `${kind} (missed: the run had ended)`;
      if (kind === 'host-kill' && desc) await restartHost(host);
      counts.outcomes[`${kind} ${r.signal ?? r.code}`] = (counts.outcomes[`${kind} ${r.signal ?? r.code}`] ?? 0) + 1;

      // What each host holds now: every managed file old or new, nothing else.
      const now = {};
      for (const h of names) {
        now[h] = await readGens(h, [before[h]['/opt/fi/big.bin'], ...Object.values(before[h]), n]);
        for (const [f, v] of Object.entries(now[h])) {
          if (v !== n && v !== before[h][f]) violation(n, fault, h, f, `half-written or foreign content: ${JSON.stringify(v)} (old generation ${before[h][f]}, new ${n})`, r);
        }
      }

      // Exit code and recap against the hosts.
      const rc = recapOf(r.stdout());
      if (desc && kind === 'sigkill') {
        if (r.code !== 137) violation(n, fault, undefined, undefined, `exit ${r.code} after SIGKILL`, r);
      } else {
        // A Ctrl-C before fabric has set up its handler ends node by the signal, before any play started.
        const early = desc && kind === 'sigint' && r.signal === 'SIGINT' && !/^PLAY \[/m.test(r.stdout());
        const missing = early ? [] : names.filter((h) => !rc[h]);
        if (missing.length) violation(n, fault, missing.join(','), undefined, 'no recap line', r);
        const anyFailed = names.some((h) => rc[h]?.failed > 0);
        const anyUnreachable = names.some((h) => rc[h]?.unreachable > 0);
        // A Ctrl-C that lands after every host ran every task interrupts nothing: 0 is the truth then.
        const allDone = names.every((h) => rc[h] && rc[h].ok === TASKS && rc[h].failed === 0 && rc[h].unreachable === 0);
        const want = desc && kind === 'sigint' ? (early ? r.code : allDone && r.code === 0 ? 0 : 130) : anyFailed ? 2 : anyUnreachable ? 4 : 0;
        if (r.code !== want) violation(n, fault, undefined, undefined, `exit ${r.code}, but the recap says ${want}`, r);
        for (const h of names) {
          const x = rc[h];
          if (!x) continue;
          const actuallyChanged = Object.keys(FILES).filter((f) => now[h][f] === n && before[h][f] !== n).length;
          const faulted = !desc || kind === 'sigint' || kind === 'holder-kill' || host === h;
          const whole = x.failed === 0 && x.unreachable === 0;
          if (!faulted && !whole) violation(n, fault, h, undefined, `a host no fault touched is ${JSON.stringify(x)}`, r);
          if (x.changed > actuallyChanged) violation(n, fault, h, undefined, `recap says changed=${x.changed}, but ${actuallyChanged} files changed`, r);
          if (whole && !(desc && kind === 'sigint')) {
            if (x.ok !== TASKS) violation(n, fault, h, undefined, `recap ok=${x.ok} with no failure, ${TASKS} tasks`, r);
            if (x.changed !== actuallyChanged) violation(n, fault, h, undefined, `recap says changed=${x.changed}, but ${actuallyChanged} files changed`, r);
            for (const [f, v] of Object.entries(now[h])) if (v !== n) violation(n, fault, h, f, `recap says ok, file at ${JSON.stringify(v)}, not ${n}`, r);
          }
          if (whole && desc && kind === 'sigint' && x.changed !== actuallyChanged) violation(n, fault, h, undefined, `interrupted: recap changed=${x.changed}, ${actuallyChanged} files changed`, r);
        }
      }
      for (const h of names) gens.set(h, now[h]);
      durations.push(ms);
      if (!desc || kind === 'sigint' || kind === 'sigkill') meanRun = Math.max(400, Math.min(4000, meanRun * 0.8 + ms * 0.2));
      await clean(n, n, fault);
      if (n % 10 === 0 || n === runs) log(`run ${n}/${runs}: ${((Date.now() - started) / 1000).toFixed(0)} s, violations ${counts.violations.length}, injected ${JSON.stringify(counts.injected)}`);
    }
  } finally {
    // Our holder only (its socket is in our runtime dir).
    for (const pr of processes()) if (pr.cmdline.includes('holder-main.js') && pr.cmdline.includes(runtime)) process.kill(pr.pid, 'SIGKILL');
    keeper.kill('SIGKILL');
    // The holder's proxy helpers remove their dirs once their proxies see EOF: give them a moment.
    const listTmp = () => (existsSync(ctlTmp) ? readdirSync(ctlTmp) : []);
    for (let i = 0; i < 50 && listTmp().length; i++) await new Promise((r) => setTimeout(r, 100));
    const left = listTmp();
    counts.controllerTempLeft = left;
    if (!keepLab) await labDown(opts);
    rmSync(work, { recursive: true, force: true });
  }
  counts.seconds = Math.round((Date.now() - started) / 1000);
  return counts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (n, d) => {
    const i = process.argv.indexOf(`--${n}`);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const counts = await runFaults({
    runs: Number(flag('runs', 300)),
    seed: flag('seed') !== undefined ? Number(flag('seed')) : Math.floor(Math.random() * 2 ** 31),
    hosts: Number(flag('hosts', 3)),
    name: flag('name', 'fi'),
    keepLab: process.argv.includes('--keep-lab'),
  });
  process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
  process.exit(counts.violations.length ? 1 : 0);
}
