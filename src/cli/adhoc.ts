/**
 * Ad-hoc commands: `fabric run PATTERN -- CMD...`, `fabric run PATTERN -m MODULE -a 'k=v ...'`
 * and `fabric facts PATTERN`. One task, planned and validated like a playbook's (a bad argument is
 * exit 5 before any host is touched), run by the same executor over the held connections.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { parse as parseYamlText, stringify } from 'yaml';
import { InputError, InputErrors } from '../errors.js';
import { loadInventory } from '../inventory/index.js';
import { parseYaml } from '../load/yaml.js';
import type { Vars } from '../modules/types.js';
import { buildPlan } from '../plan/index.js';
import { AdhocReporter } from '../report/adhoc.js';
import { loadDiffRenderer } from '../report/diff.js';
import { createReporter } from '../report/index.js';
import type { HostResult, Reporter, RunEvent } from '../run/events.js';
import { addExecOptions, addTargetOptions, parseExtraVars, type PlayFlags } from './play.js';
import { connectionDefaults, limitPattern, setUpVault } from './run-flags.js';
import { executePlan, loadWithHolder, runNumbers } from './run-play.js';

export interface AdhocFlags extends PlayFlags {
  moduleName?: string;
  args?: string;
  oneLine?: boolean;
  recap?: boolean;
}

/** Where an ad-hoc task's errors point: the command line, not a file. */
const SOURCE = '(ad-hoc command line)';
/** Modules whose arguments after `--` are a command: argv for command, shell text for shell and raw. */
const COMMAND_MODULES = new Set(['command', 'shell', 'raw', 'ansible.builtin.command', 'ansible.builtin.shell', 'ansible.builtin.raw']);

/** The task's module arguments as a playbook would write them. */
export function adhocArgs(module: string, args: string | undefined, argv: string[]): unknown {
  if (args !== undefined && argv.length) throw new InputError('give the command after -- or as -a, not both');
  if (argv.length) {
    if (!COMMAND_MODULES.has(module)) throw new InputError(`a command after -- is for the command, shell and raw modules, not '${module}'`, undefined, 'give module arguments with -a');
    return module.endsWith('command') ? { argv } : argv.join(' ');
  }
  if (args === undefined) return null;
  const trimmed = args.trim();
  // Like ansible's: arguments that look like a mapping are read as one (YAML flow, so JSON too).
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      return parseYamlText(trimmed, { schema: 'core' }) as unknown;
    } catch (e) {
      throw new InputError(`-a is not a valid mapping: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return args;
}

/** Planner errors name the synthetic source; say "-m MODULE -a" instead of a line in a file no one wrote. */
function onCommandLine(e: unknown, module: string): unknown {
  const fix = (err: InputError) => (err.pos?.file === SOURCE ? new InputError(`ad-hoc ${module}: ${err.message}`, undefined, err.hint) : err);
  if (e instanceof InputErrors) return new InputErrors(e.errors.map(fix));
  if (e instanceof InputError) return fix(e);
  return e;
}

async function planAdhoc(pattern: string, module: string, args: unknown, flags: PlayFlags) {
  const cwd = process.cwd();
  await setUpVault(flags, 'error');
  const inventory = loadInventory(flags.inventory, { playbookDirs: [cwd], defaults: connectionDefaults(flags) });
  const extraVars: Vars = parseExtraVars(flags.extraVars);
  const play = [{ name: 'Ansible Ad-Hoc', hosts: pattern, gather_facts: false, tasks: [{ name: module, [module]: args }] }];
  const source = parseYaml(join(cwd, SOURCE), stringify(play));
  const plan = await buildPlan({ playbooks: [], sources: [source], inventory, limit: limitPattern(flags.limit), tags: { tags: [], skipTags: [] }, extraVars }).catch((e: unknown) => {
    throw onCommandLine(e, module);
  });
  return { plan, inventory, extraVars };
}

async function runAdhoc(pattern: string, module: string, args: unknown, flags: AdhocFlags, reporter: (f: AdhocFlags) => Promise<Reporter>): Promise<number> {
  const numbers = runNumbers(flags);
  const loaded = await loadWithHolder(() => planAdhoc(pattern, module, args, flags));
  const summary = await executePlan(loaded.plan, loaded, flags, numbers, await reporter(flags));
  return summary.exitCode;
}

/** `fabric facts`: each host's facts, gathered in its one round trip, as YAML (or one JSON document). */
class FactsReporter implements Reporter {
  private readonly facts: Record<string, unknown> = {};

  constructor(
    private readonly json: boolean,
    private readonly problems: AdhocReporter,
  ) {}

  onEvent(e: RunEvent): void {
    if (e.type !== 'host_result') return;
    const o: HostResult = e.outcome;
    if (o.status === 'ok') this.facts[e.host] = o.result.ansible_facts;
    else this.problems.onEvent(e);
  }

  async close(): Promise<void> {
    const sorted = Object.fromEntries(Object.keys(this.facts).sort().map((h) => [h, this.facts[h]]));
    process.stdout.write(this.json ? `${JSON.stringify(sorted, null, 2)}\n` : Object.keys(sorted).length ? stringify(sorted) : '');
    await this.problems.close();
  }
}

export function registerAdhocCommands(program: Command): void {
  addExecOptions(
    addTargetOptions(
      program
        .command('run')
        .description("run one module on the hosts of a pattern, like `ansible PATTERN -m MODULE -a ARGS` (default module: command)")
        .argument('<pattern>', 'hosts or groups (all, k8s, w1:w2, k8s:!cp, ...)')
        .argument('[command...]', 'after --: the command and its arguments (command, shell, raw)')
        .usage('<pattern> [options] [-- command...]'),
    ),
  )
    .option('-m, --module-name <name>', 'the module to run', 'command')
    .option('-a, --args <args>', "the module's arguments: k=v k2=v2, free-form text, or a YAML/JSON mapping")
    .option('-o, --one-line', 'one line per host')
    .option('--recap', 'print the PLAY RECAP after the results')
    .option('--json', 'print one JSON document of all results')
    .action(async (pattern: string, command: string[], flags: AdhocFlags) => {
      const module = flags.moduleName ?? 'command';
      const args = adhocArgs(module, flags.args, command);
      process.exitCode = await runAdhoc(pattern, module, args, flags, async (f) => {
        if (f.json) return createReporter({ mode: 'json', verbose: f.verbose, diff: !!f.diff });
        if (f.diff) await loadDiffRenderer();
        return new AdhocReporter({ out: process.stdout, oneLine: !!f.oneLine, recap: !!f.recap, diff: !!f.diff, verbose: f.verbose });
      });
    });

  addExecOptions(
    addTargetOptions(
      program
        .command('facts')
        .description("the hosts' facts (what gather_facts reads), as YAML per host")
        .argument('<pattern>', 'hosts or groups'),
    ),
    false,
  )
    .option('--json', 'one JSON document: host -> facts')
    .action(async (pattern: string, flags: AdhocFlags) => {
      const problems = new AdhocReporter({ out: process.stderr, oneLine: true, recap: false, diff: false, verbose: 0 });
      // Reads only: no run lock, so facts answer while another run works on the hosts.
      process.exitCode = await runAdhoc(pattern, 'setup', null, { ...flags, lock: false }, async (f) => new FactsReporter(!!f.json, problems));
    });
}
