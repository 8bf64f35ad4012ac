import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { RunLock } from '../connection/run-lock.js';
import { EXIT, InputError } from '../errors.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import type { Vars } from '../modules/types.js';
import { buildPlan } from '../plan/index.js';
import { splitTags } from '../plan/tags.js';
import type { Plan } from '../plan/types.js';
import { forEachTask } from '../plan/walk.js';
import { createReporter } from '../report/index.js';
import { DEFAULT_INTERRUPT_GRACE_MS, Executor } from '../run/executor.js';
import { parseExtraVars, resolvePlaybook, type PlayFlags } from './play.js';
import { becomePasswordFrom, connectionDefaults, limitPattern, setUpVault, writeRetryFile } from './run-flags.js';
import { unopenedVaults, type WithoutPassword } from '../vault/keyring.js';
import { startAtTask } from '../plan/start-at.js';
import type { Reporter, TaskInfo } from '../run/events.js';
import { taskLabel } from '../report/format.js';
import type { PlanHooks, RunSummary } from '../run/run-context.js';
import { historyPath } from '../history/location.js';
import { HistoryRecorder, lastRecordMs } from '../history/record.js';

export interface Loaded {
  plan: Plan;
  inventory: Inventory;
  extraVars: Vars;
}

export async function loadPlan(playbooks: string[], flags: PlayFlags, withoutVaultPassword: WithoutPassword = 'error'): Promise<Loaded> {
  const files = playbooks.map(resolvePlaybook);
  // Passwords first (a prompt, a script): every vault opens while loading, before any host is touched.
  await setUpVault(flags, withoutVaultPassword);
  const inventory = loadInventory(flags.inventory, { playbookDirs: [...new Set(files.map((f) => dirname(resolve(f))))], defaults: connectionDefaults(flags) });
  const extraVars = parseExtraVars(flags.extraVars);
  const plan = await buildPlan({
    playbooks: files,
    inventory,
    limit: limitPattern(flags.limit),
    tags: { tags: splitTags(flags.tags), skipTags: splitTags(flags.skipTags) },
    extraVars,
  });
  return { plan: flags.startAtTask === undefined ? plan : startAtTask(plan, flags.startAtTask), inventory, extraVars };
}

function listPlan(plan: Plan, flags: PlayFlags): void {
  const out: string[] = [];
  for (const pb of plan.playbooks) out.push(`\nplaybook: ${pb}`);
  plan.plays.forEach((play, i) => {
    out.push(`\n  play #${i + 1} (${play.pattern}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`);
    if (flags.listHosts) {
      out.push(`    pattern: ['${play.pattern}']`, `    hosts (${play.hosts.length}):`, ...play.hosts.map((h) => `      ${h}`));
    }
    const tasks: string[] = [];
    const tags = new Set<string>();
    for (const s of play.sections)
      forEachTask(s, (t) => {
        tasks.push(`      ${t.role ? `${t.role.name} : ` : ''}${t.info.name}\tTAGS: [${t.tags.join(', ')}]`);
        t.tags.forEach((x) => tags.add(x));
      });
    if (flags.listTasks) out.push('    tasks:', ...tasks);
    if (flags.listTags) out.push(`      TASK TAGS: [${[...tags].sort().join(', ')}]`);
  });
  process.stdout.write(out.join('\n') + '\n');
}

/** --step: asks before each task, as ansible-playbook does; `c` stops asking. Answers are read line by line (a pipe works too). */
function stepper(): (task: TaskInfo) => Promise<boolean> {
  let asking = true;
  let rl: ReturnType<typeof createInterface> | undefined;
  const lines: string[] = [];
  const waiters: Array<(l: string | undefined) => void> = [];
  let closed = false;
  const next = () =>
    new Promise<string | undefined>((res) => {
      if (lines.length) res(lines.shift());
      else if (closed) res(undefined);
      else waiters.push(res);
    });
  return async (task) => {
    if (!asking) return true;
    if (!rl) {
      rl = createInterface({ input: process.stdin, terminal: false });
      rl.on('line', (l) => (waiters.length ? waiters.shift()!(l) : lines.push(l)));
      rl.on('close', () => {
        closed = true;
        while (waiters.length) waiters.shift()!(undefined);
      });
    }
    for (;;) {
      process.stderr.write(`Perform task: TASK: ${task.name} (N)o/(y)es/(c)ontinue: `);
      const a = (await next())?.trim().toLowerCase();
      if (a === undefined) {
        // stdin ended: no one can answer, so every remaining task is declined (the safe answer).
        process.stderr.write('\n');
        return false;
      }
      if (a === 'y' || a === 'yes') return true;
      if (a === '' || a === 'n' || a === 'no') return false;
      if (a === 'c' || a === 'continue') {
        asking = false;
        rl.close();
        return true;
      }
    }
  };
}

function askPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((res) => {
    rl.question('BECOME password: ', (a) => {
      rl.close();
      res(a);
    });
  });
}

/** What `fabric check` could not check for want of a vault password: said, never skipped silently. */
function reportShutVaults(): void {
  const shut = unopenedVaults();
  if (!shut.length) return;
  const lines = shut.map((v) => `not checked: ${v.whole ? `${v.pos.file} (a vault-encrypted file)` : `${v.pos.file}:${v.pos.line}:${v.pos.col} (a !vault value)`}: no vault password given\n`);
  process.stderr.write([...new Set(lines)].join(''));
  if (shut.some((v) => v.whole)) process.stderr.write('not checked: undefined variables (the names a vault-encrypted file defines are unknown without its password)\n');
  process.stderr.write('give --vault-password-file, --vault-id or --ask-vault-pass to check them\n');
}

export async function checkPlaybooks(playbooks: string[], flags: PlayFlags): Promise<number> {
  let plan: Plan;
  try {
    ({ plan } = await loadPlan(playbooks, flags, 'note'));
  } finally {
    reportShutVaults();
  }
  let tasks = 0;
  for (const p of plan.plays) for (const s of p.sections) forEachTask(s, () => tasks++);
  const shut = new Set(unopenedVaults().map((v) => v.pos.file)).size;
  process.stdout.write(`ok: ${plan.playbooks.join(', ')}: ${plan.plays.length} plays, ${tasks} tasks${shut ? ` (${shut} vaulted file${shut === 1 ? '' : 's'} not checked)` : ''}\n`);
  return EXIT.ok;
}

/** FABRIC_TIMINGS=<file>: phase timings and peak RSS as JSON, for bench/ (ms since process start). */
function phaseClock(file: string | undefined) {
  const t = { startupMs: performance.now(), planMs: 0, runStart: 0, lastConnect: 0 };
  return {
    wrap: file ? <C>(c: C): C => ((t.lastConnect = performance.now()), c) : undefined,
    planned: () => (t.planMs = performance.now() - t.startupMs),
    running: () => (t.runStart = t.lastConnect = performance.now()),
    done(): void {
      if (!file) return;
      const end = performance.now();
      const phases = {
        startupMs: t.startupMs,
        planMs: t.planMs,
        connectMs: t.lastConnect - t.runStart,
        tasksMs: end - t.lastConnect,
        totalMs: end,
        // Storing the run in the history (included in tasksMs); null with the history off.
        historyMs: lastRecordMs() ?? null,
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        maxRssKb: process.resourceUsage().maxRSS,
      };
      writeFileSync(file, JSON.stringify(phases) + '\n');
    },
  };
}

/** The numbers every run command takes, checked before anything else happens. */
export interface RunNumbers {
  forks: number;
  timeout: number;
  taskTimeout?: number;
  lockWait: number;
}

export function runNumbers(flags: Pick<PlayFlags, 'forks' | 'timeout' | 'taskTimeout' | 'lockWait'>): RunNumbers {
  const forks = Number(flags.forks);
  const timeout = Number(flags.timeout);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError(`--forks must be a positive integer, not '${flags.forks}'`);
  if (!(timeout > 0)) throw new InputError(`--timeout must be a positive number of seconds, not '${flags.timeout}'`);
  const taskTimeout = flags.taskTimeout === undefined ? undefined : Number(flags.taskTimeout);
  if (taskTimeout !== undefined && !(Number.isInteger(taskTimeout) && taskTimeout > 0)) throw new InputError(`--task-timeout must be a positive whole number of seconds, not '${flags.taskTimeout}'`);
  const lockWait = Number(flags.lockWait ?? 5);
  if (!(lockWait >= 0 && lockWait <= 86_400)) throw new InputError(`--lock-wait must be a number of seconds from 0 to 86400, not '${flags.lockWait}'`);
  return { forks, timeout, taskTimeout, lockWait };
}

/** A cold run starts the connection holder now: it boots on the other core while this one plans. */
export function startHolderEarly(): { forget(): Promise<void> } {
  const held = process.env.FABRIC_SSH_PERSIST !== '0' ? import('../connection/held.js') : undefined;
  void held?.then((m) => m.startHolderEarly());
  return { forget: async () => (await held)?.forgetHolderStart() };
}

/** Loads with the holder started early (it boots while this process plans); a failed load lets it go. */
export async function loadWithHolder<T>(load: () => Promise<T>): Promise<T> {
  const holder = startHolderEarly();
  return load().catch(async (e: unknown) => {
    await holder.forget();
    throw e;
  });
}

export type ExecFlags = Pick<PlayFlags, 'check' | 'diff' | 'verbose' | 'forceHandlers' | 'step' | 'acceptNewHostKeys' | 'askBecomePass' | 'becomePasswordFile' | 'detailedExitcode' | 'history' | 'lock'>;

/** The run lock this run takes on its hosts: none for a check run (it changes nothing) or with --no-lock. */
function runLock(plan: Plan, flags: ExecFlags, numbers: RunNumbers): RunLock | undefined {
  if (flags.check || flags.lock === false) return undefined;
  return {
    run: randomBytes(6).toString('hex'),
    controller: hostname(),
    user: userInfo().username,
    pid: process.pid,
    label: ['fabric', process.argv[2] ?? 'play', ...plan.playbooks.map((p) => basename(p))].join(' '),
    waitSeconds: numbers.lockWait,
  };
}

/** Runs a plan with the run flags: become password, Ctrl-C handling, the executor, the run history. Shared by play and ad-hoc. */
export async function executePlan(
  plan: Plan,
  loaded: { inventory: Inventory; extraVars: Vars },
  flags: ExecFlags,
  numbers: RunNumbers,
  reporter: Reporter,
  wrap?: <C>(c: C) => C,
  /** fabric plan/apply and play --confirm: record a plan, or hold the run to one (src/plan-file/). */
  planHooks?: PlanHooks,
): Promise<RunSummary> {
  if (flags.askBecomePass && flags.becomePasswordFile) throw new InputError('give -K/--ask-become-pass or --become-password-file, not both');
  const becomePassword = flags.askBecomePass ? await askPassword() : flags.becomePasswordFile ? becomePasswordFrom(flags.becomePasswordFile) : undefined;
  const abort = new AbortController();
  // FABRIC_INTERRUPT_GRACE_MS: how long Ctrl-C waits for running tasks (tests use a short one).
  const graceEnv = Number(process.env.FABRIC_INTERRUPT_GRACE_MS);
  const grace = graceEnv > 0 ? graceEnv : DEFAULT_INTERRUPT_GRACE_MS;
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted); // second Ctrl-C: stop now
    process.stderr.write(
      `\ninterrupt: starting no new tasks; waiting up to ${Math.round(grace / 1000)} s for running ones (Ctrl-C again to stop now)\n`,
    );
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const history = historyPath(flags.history);
  // Recorded as events pass by: the executor and the renderers know nothing of the history.
  if (history) reporter = new HistoryRecorder(reporter, { file: history, argv: process.argv.slice(2), playbooks: plan.playbooks, check: !!flags.check });
  try {
    const executor = new Executor({
      inventory: loaded.inventory,
      reporter,
      check: !!flags.check,
      diff: !!flags.diff,
      verbosity: flags.verbose,
      forks: numbers.forks,
      extraVars: loaded.extraVars,
      becomePassword,
      taskTimeout: numbers.taskTimeout,
      forceHandlers: !!flags.forceHandlers,
      detailedExitcode: !!flags.detailedExitcode,
      confirm: flags.step ? stepper() : undefined,
      connectTimeoutMs: numbers.timeout * 1000,
      acceptNewHostKeys: !!flags.acceptNewHostKeys,
      lock: runLock(plan, flags, numbers),
      signal: abort.signal,
      interruptGraceMs: grace,
      wrap,
      plan: planHooks,
    });
    const summary = await executor.run(plan);
    await reporter.close();
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function runPlay(playbooks: string[], flags: PlayFlags): Promise<number> {
  if (flags.confirm && !(flags.listHosts || flags.listTasks || flags.listTags)) return (await import('./plan.js')).playWithConfirm(playbooks, flags);
  if (flags.yes) throw new InputError('--yes answers the question --confirm asks: give it with --confirm');
  const clock = phaseClock(process.env.FABRIC_TIMINGS);
  const numbers = runNumbers(flags);
  const listing = flags.listHosts || flags.listTasks || flags.listTags;
  const holder = listing ? undefined : startHolderEarly();
  const loaded = await loadPlan(playbooks, flags).catch(async (e: unknown) => {
    await holder?.forget();
    throw e;
  });
  clock.planned();
  if (listing) {
    listPlan(loaded.plan, flags);
    return EXIT.ok;
  }
  if (flags.assertIdempotent && flags.check) throw new InputError('--assert-idempotent runs the play twice for real: it cannot be combined with --check');
  const mode = flags.json ? 'json' : process.stdout.isTTY && !process.env.CI ? 'live' : 'plain';
  const reporter = await createReporter({ mode, verbose: flags.verbose, diff: !!flags.diff });
  clock.running();
  let summary = await executePlan(loaded.plan, loaded, flags, numbers, reporter, clock.wrap);
  clock.done();
  if (flags.assertIdempotent && (summary.exitCode === EXIT.ok || summary.exitCode === EXIT.changed)) {
    // An idempotent second run keeps the first run's code (6 with --detailed-exitcode when it changed).
    const second = await secondRun(loaded, flags, numbers, mode);
    if (second.exitCode !== EXIT.ok) summary = second;
  }
  if (flags.retryFile) {
    const failed = Object.entries(summary.stats).filter(([, s]) => s.failed > 0 || s.unreachable > 0).map(([h]) => h);
    const path = writeRetryFile(playbooks[0]!, failed);
    if (path) process.stderr.write(`to retry, use: --limit @${path}\n`);
  }
  return summary.exitCode;
}

/**
 * --assert-idempotent: the same plan again (molecule's idempotence step). Any change is exit 7,
 * naming each task and its hosts; a failure in the second run keeps its own code.
 */
async function secondRun(loaded: Loaded, flags: PlayFlags, numbers: RunNumbers, mode: 'json' | 'live' | 'plain'): Promise<RunSummary> {
  process.stderr.write('\nidempotence check: running the play a second time\n');
  const changed = new Map<string, Set<string>>();
  const reporter = await createReporter({ mode, verbose: flags.verbose, diff: !!flags.diff });
  const watching: Reporter = {
    onEvent(e) {
      if (e.type === 'host_result' && (e.outcome.status === 'changed' || e.outcome.items?.some((i) => i.status === 'changed'))) {
        const key = `${taskLabel(e.task)} (${e.task.file}:${e.task.line})`;
        changed.set(key, (changed.get(key) ?? new Set()).add(e.host));
      }
      reporter.onEvent(e);
    },
    close: () => reporter.close(),
  };
  const summary = await executePlan(loaded.plan, loaded, { ...flags, detailedExitcode: false }, numbers, watching);
  if (summary.exitCode !== EXIT.ok) return summary;
  if (!changed.size) {
    process.stderr.write('idempotent: the second run changed nothing\n');
    return summary;
  }
  process.stderr.write(`not idempotent: the second run changed ${changed.size} task${changed.size === 1 ? '' : 's'}:\n`);
  for (const [task, hosts] of changed) process.stderr.write(`  ${task}: ${[...hosts].sort().join(', ')}\n`);
  return { ...summary, exitCode: EXIT.notIdempotent };
}
