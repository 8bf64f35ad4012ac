/** fabric plan, fabric apply and play --confirm: a check run saved as a plan, then exactly that plan applied. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EXIT, InputError } from '../errors.js';
import { inputsRead, recordInputs } from '../load/inputs.js';
import { displayPath } from '../load/yaml.js';
import { PlanGuard } from '../plan-file/guard.js';
import { PlanRecorder } from '../plan-file/record.js';
import { readPlan, savePlan } from '../plan-file/save.js';
import { planCounts, planSummary } from '../plan-file/summary.js';
import { PLAN_VERSION, type Invocation, type PlanFile } from '../plan-file/types.js';
import { changedFacts, changedInputs } from '../plan-file/verify.js';
import { createReporter } from '../report/index.js';
import type { PlanHooks } from '../run/run-context.js';
import { holdsSecret } from '../vars/secrets.js';
import { addExecOptions, addSelectionOptions, addTargetOptions, resolvePlaybook, type PlayFlags } from './play.js';
import { addVaultOptions } from './run-flags.js';
import { executePlan, loadPlan, loadWithHolder, runNumbers, startHolderEarly, type Loaded, type RunNumbers } from './run-play.js';

interface PlanFlags extends PlayFlags {
  out: string;
}

const outputMode = (json?: boolean) => (json ? 'json' : process.stdout.isTTY && !process.env.CI ? 'live' : 'plain');
const abs = (p: string) => resolve(p);
const atFile = (v: string) => (v.startsWith('@') ? `@${abs(v.slice(1))}` : v);

/** The command line as apply needs it again: paths made absolute, so apply may run from anywhere. */
function invocationOf(playbooks: string[], f: PlayFlags): Invocation {
  const extraVars = (f.extraVars ?? []).map(atFile);
  // A -e value is saved as written: one holding a vault plaintext could only be saved masked, and apply would differ.
  if (holdsSecret(extraVars)) throw new InputError('an -e value holds a vaulted value, and a plan never holds one: pass it in a vars file (-e @file.yml)');
  return {
    playbooks: playbooks.map((p) => abs(resolvePlaybook(p))),
    inventory: abs(f.inventory),
    ...(f.limit !== undefined ? { limit: atFile(f.limit) } : {}),
    tags: f.tags ?? [],
    skipTags: f.skipTags ?? [],
    ...(f.startAtTask !== undefined ? { startAtTask: f.startAtTask } : {}),
    extraVars,
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.privateKey !== undefined ? { privateKey: abs(f.privateKey) } : {}),
    ...(f.become ? { become: true } : {}),
    ...(f.becomeUser !== undefined ? { becomeUser: f.becomeUser } : {}),
  };
}

/**
 * The plan phase: the play in check mode with diffs, each task's outcome per host and the facts
 * its decision was made on recorded. No plan when a host failed or was unreachable: it could not be applied.
 */
async function makePlan(playbooks: string[], loaded: Loaded, flags: PlayFlags, numbers: RunNumbers): Promise<{ plan?: PlanFile; exitCode: number }> {
  const invocation = invocationOf(playbooks, flags);
  const recorder = new PlanRecorder();
  const reporter = await createReporter({ mode: outputMode(false), verbose: flags.verbose, diff: false });
  const exec = { ...flags, check: true, diff: true, step: false, detailedExitcode: false };
  const summary = await executePlan(loaded.plan, loaded, exec, numbers, recorder.reporter(reporter), undefined, recorder.hooks);
  if (summary.exitCode !== EXIT.ok) {
    process.stderr.write(`no plan: ${summary.interrupted ? 'interrupted' : 'a host failed or was unreachable in check mode, so what it would change is not known'}\n`);
    return { exitCode: summary.exitCode };
  }
  const plan: PlanFile = {
    fabricPlan: PLAN_VERSION,
    createdAt: new Date().toISOString(),
    cwd: process.cwd(),
    invocation,
    inputs: inputsRead(),
    hosts: Object.fromEntries([...recorder.hosts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  return { plan, exitCode: EXIT.ok };
}

function refuse(lines: string[], why: string): void {
  process.stderr.write(`apply refused: ${why}; nothing was changed on any host:\n${lines.map((l) => `  ${l}\n`).join('')}run fabric plan again\n`);
}

/**
 * Applies plan: refused (EXIT.planStale, before any host is changed) when an input changed since,
 * or when a fact some decision was made on reads differently now (read again, one round trip per
 * host, on the run's own connections); otherwise the play runs held to the plan (guard.ts).
 */
export async function applyPlan(plan: PlanFile, loaded: Loaded, flags: PlayFlags, numbers: RunNumbers, wrap?: <C>(c: C) => C): Promise<number> {
  const stale = changedInputs(plan.inputs, inputsRead());
  if (stale.length) {
    refuse(stale, 'the playbooks, inventory or variables changed since the plan');
    return EXIT.planStale;
  }
  const guard = new PlanGuard(plan);
  const hooks: PlanHooks = {
    ...guard.hooks,
    async preflight(read) {
      const r = await changedFacts(plan, read, numbers.forks);
      if (r.changed.length) {
        refuse(r.changed, 'the hosts changed since the plan');
        return EXIT.planStale;
      }
      if (r.unreachable.length) {
        refuse(r.unreachable, 'a host could not be read again');
        return EXIT.unreachable;
      }
      return undefined;
    },
  };
  const reporter = await createReporter({ mode: outputMode(flags.json), verbose: flags.verbose, diff: !!flags.diff });
  // Diffs on, as in the plan: the tasks then declare the facts the plan read, and the verified read answers them.
  const summary = await executePlan(loaded.plan, loaded, { ...flags, check: false, diff: true }, numbers, reporter, wrap, hooks);
  for (const n of guard.notes) process.stderr.write(`note: ${n}\n`);
  if (guard.departures.length) process.stderr.write(`not applied as planned (the host changed since the plan; run fabric plan again):\n${guard.departures.map((d) => `  ${d}\n`).join('')}`);
  return summary.exitCode;
}

/** fabric plan PLAYBOOK... -o FILE */
async function planCommand(playbooks: string[], flags: PlanFlags): Promise<number> {
  const numbers = runNumbers(flags);
  recordInputs();
  const loaded = await loadWithHolder(() => loadPlan(playbooks, flags));
  const { plan, exitCode } = await makePlan(playbooks, loaded, flags, numbers);
  if (!plan) return exitCode;
  savePlan(flags.out, plan);
  process.stdout.write(await planSummary(plan, !!flags.diff));
  process.stdout.write(`Saved to ${displayPath(abs(flags.out))}: fabric apply ${displayPath(abs(flags.out))} applies exactly this.\n`);
  return flags.detailedExitcode && planCounts(plan).change > 0 ? EXIT.changed : EXIT.ok;
}

/** The flags apply takes from the plan; given on the command line they would make a different run. */
const FIXED_BY_PLAN = ['user', 'privateKey', 'become', 'becomeUser'] as const;

/** fabric apply PLAN */
async function applyCommand(file: string, flags: PlayFlags): Promise<number> {
  for (const k of FIXED_BY_PLAN) if (flags[k] !== undefined) throw new InputError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is fixed by the plan: make a new plan to change it`);
  const plan = readPlan(file);
  const numbers = runNumbers(flags);
  const inv = plan.invocation;
  const run: PlayFlags = { ...flags, inventory: inv.inventory, limit: inv.limit, tags: inv.tags, skipTags: inv.skipTags, startAtTask: inv.startAtTask, extraVars: inv.extraVars, user: inv.user, privateKey: inv.privateKey, become: inv.become, becomeUser: inv.becomeUser };
  recordInputs();
  const holder = startHolderEarly();
  const loaded = await loadPlan(inv.playbooks, run).catch(async (e: unknown) => {
    await holder.forget();
    throw e;
  });
  return applyPlan(plan, loaded, run, numbers);
}

/** Asks on the terminal; end of input is no. */
function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((res) => {
    let answered = false;
    rl.on('close', () => answered || res(false));
    rl.question(question, (a) => {
      answered = true;
      rl.close();
      res(/^y(es)?$/i.test(a.trim()));
    });
  });
}

/** fabric play --confirm: the plan phase, its summary, the question, then exactly that plan applied. */
export async function playWithConfirm(playbooks: string[], flags: PlayFlags): Promise<number> {
  if (flags.check) throw new InputError('--confirm applies what it plans: it cannot be combined with --check');
  if (flags.assertIdempotent) throw new InputError('--confirm cannot be combined with --assert-idempotent');
  // Without a terminal nobody can answer: refuse before anything is read or touched, rather than guess.
  if (!flags.yes && !process.stdin.isTTY) throw new InputError('--confirm asks on the terminal, and stdin is not one: give --yes to apply without asking, or use fabric plan -o FILE and fabric apply FILE');
  const numbers = runNumbers(flags);
  recordInputs();
  const loaded = await loadWithHolder(() => loadPlan(playbooks, flags));
  const { plan, exitCode } = await makePlan(playbooks, loaded, flags, numbers);
  if (!plan) return exitCode;
  const shown = flags.json ? process.stderr : process.stdout;
  shown.write(await planSummary(plan, !!flags.diff));
  const counts = planCounts(plan);
  if (!counts.change && !counts.unknown) {
    shown.write('Nothing to apply.\n');
    return EXIT.ok;
  }
  if (!flags.yes && !(await ask('Apply these changes? [y/N] '))) {
    process.stderr.write('Apply cancelled: nothing was changed.\n');
    return EXIT.ok;
  }
  return applyPlan(plan, loaded, flags, numbers);
}

export function registerPlanCommands(program: Command): void {
  const plan = addSelectionOptions(
    addTargetOptions(
      program
        .command('plan')
        .description('check mode with diffs, saved: per host what would change, and fingerprints of the host state and the inputs it was decided on')
        .argument('[playbooks...]', 'playbook files (default playbooks/site.yml)'),
    ),
  );
  addExecOptions(plan, false)
    .requiredOption('-o, --out <file>', 'where to save the plan (JSON; secrets masked)')
    .option('-D, --diff', 'show the diffs in the summary')
    .option('--detailed-exitcode', 'exit 6 when the plan changes something')
    .action(async (playbooks: string[], flags: PlanFlags) => {
      process.exitCode = await planCommand(playbooks.length ? playbooks : ['playbooks/site.yml'], flags);
    });
  const apply = addVaultOptions(
    program
      .command('apply')
      .description('apply a saved plan exactly: refused, changing nothing, when a host or an input changed since')
      .argument('<plan>', 'a plan saved by fabric plan -o'),
  );
  addExecOptions(apply, false)
    .option('-D, --diff', 'show differences of files and state')
    .option('--json', 'print one JSON document of all results')
    .action(async (file: string, flags: PlayFlags) => {
      process.exitCode = await applyCommand(file, { ...flags, inventory: '' });
    });
}
