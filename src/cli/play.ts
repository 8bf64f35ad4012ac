import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, InputError } from '../errors.js';
import { readYamlFile } from '../load/yaml.js';
import type { Vars } from '../modules/types.js';
import type { VaultPasswordFlags } from '../vault/passwords.js';
import { addVaultOptions } from './run-flags.js';

export interface PlayFlags extends VaultPasswordFlags {
  inventory: string;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  check?: boolean;
  diff?: boolean;
  extraVars?: string[];
  forks: string;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  json?: boolean;
  verbose: number;
  timeout: string;
  taskTimeout?: string;
  forceHandlers?: boolean;
  startAtTask?: string;
  step?: boolean;
  retryFile?: boolean;
  user?: string;
  privateKey?: string;
  become?: boolean;
  becomeUser?: string;
  becomePasswordFile?: string;
  acceptNewHostKeys?: boolean;
  askBecomePass?: boolean;
  detailedExitcode?: boolean;
  assertIdempotent?: boolean;
  /** Plan first, show it, ask before applying (src/cli/plan.ts). */
  confirm?: boolean;
  yes?: boolean;
  /** --lock-wait: seconds to wait for another run's lock on a host. */
  lockWait: string;
  /** false: --no-lock (take no run lock on the hosts). */
  lock?: boolean;
  /** --history FILE, or false for --no-history. */
  history?: string | boolean;
}

const DEFAULT_PLAYBOOK = 'playbooks/site.yml';
export const DEFAULT_INVENTORY = 'inventory/hosts.yml';

/** `site.yml` works from the repo root as operators type it: looked up in playbooks/ when not found as given. */
export function resolvePlaybook(p: string): string {
  if (existsSync(p)) return p;
  const inDir = join('playbooks', p);
  if (existsSync(inDir)) return inDir;
  if (existsSync(`${inDir}.yml`)) return `${inDir}.yml`;
  throw new InputError(`playbook '${p}' not found (also looked for ${inDir})`);
}

/** `-e k=v k2=v2`, `-e @file.yml`, `-e '{"k": 1}'`: later wins, like Ansible. */
export function parseExtraVars(values: string[] = []): Vars {
  const out: Vars = {};
  for (const v of values) {
    if (v.startsWith('@')) {
      const file = v.slice(1);
      if (!existsSync(file)) throw new InputError(`extra vars file '${file}' not found`);
      // Through the one YAML loader: errors at file:line, a vault-encrypted file or `!vault` values opened.
      const data = readYamlFile(file).value;
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InputError(`extra vars file '${file}' must hold a mapping`);
      Object.assign(out, data);
    } else if (v.trimStart().startsWith('{')) {
      Object.assign(out, parseYaml(v, { schema: 'core' }) as Vars);
    } else {
      for (const pair of v.split(/\s+/).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new InputError(`extra var '${pair}' must be key=value`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const count = (_: string, prev: number) => prev + 1;

/** Which hosts and variables (and the vault passwords that open them): every command that targets hosts takes these. */
export function addTargetOptions(cmd: Command): Command {
  return addVaultOptions(cmd)
    .option('-i, --inventory <file>', 'inventory file', DEFAULT_INVENTORY)
    .option('-l, --limit <pattern>', 'further limit hosts to this pattern')
    .option('-e, --extra-vars <vars>', 'k=v, @file.yml or a YAML/JSON mapping (repeatable)', collect);
}

export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('-t, --tags <tags>', 'only run tasks with these tags (comma separated, repeatable)', collect)
    .option('--skip-tags <tags>', 'skip tasks with these tags', collect)
    .option('--start-at-task <name>', 'start at the first task with this name (or "role : name")');
}

/** How a run reaches and works on hosts: play and the ad-hoc commands share these. `changes`: -C and -D too. */
export function addExecOptions(cmd: Command, changes = true): Command {
  if (changes) cmd.option('-C, --check', "don't change anything; report what would change").option('-D, --diff', 'show differences of files and state');
  return cmd
    .option('-f, --forks <n>', 'hosts worked on in parallel', '20')
    .option('-v, --verbose', 'more output (repeatable)', count, 0)
    .option('-T, --timeout <seconds>', 'SSH connect timeout', '10')
    .option('--task-timeout <seconds>', 'fail a task that runs longer than this on a host (a task\'s own `timeout` wins)')
    .option('-u, --user <user>', 'SSH user where the inventory sets none (fabric_user wins)')
    .option('--private-key <file>', 'SSH key where the inventory sets none (fabric_ssh_key wins)')
    .option('-b, --become', 'become (sudo) where the play and inventory do not say otherwise')
    .option('--become-user <user>', 'the user to become (default root)')
    .option('--become-password-file <file>', 'read the sudo password from this file')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts (changed keys are always refused)')
    .option('-K, --ask-become-pass', 'ask for the sudo password')
    .option('--lock-wait <seconds>', "how long to wait for another run's lock on a host before stopping that host (README: Run lock)", '5')
    .option('--no-lock', 'take no run lock on the hosts (check runs never take one)')
    .option('--history <file>', 'record the run in this history database (default .fabric/history.sqlite, or $FABRIC_HISTORY)')
    .option('--no-history', 'do not record the run in the history');
}

export function registerPlayCommands(program: Command): void {
  const play = addSelectionOptions(
    addTargetOptions(
      program
        .command('play')
        .description('run playbooks against the inventory')
        .argument('[playbooks...]', 'playbook files (default playbooks/site.yml; bare names are looked up in playbooks/)'),
    ),
  );
  addExecOptions(play)
    .option('--list-hosts', 'list the hosts each play targets, then exit')
    .option('--list-tasks', 'list the tasks that would run (after tags), then exit')
    .option('--list-tags', 'list the tags of the tasks, then exit')
    .option('--json', 'print one JSON document of all results')
    .option('--force-handlers', 'run notified handlers even on hosts that failed')
    .option('--step', 'confirm each task before it runs: (y)es, (n)o, (c)ontinue without asking')
    .option('--retry-file', 'after a run with failed or unreachable hosts, write them to <playbook>.retry (for -l @file)')
    .option('--detailed-exitcode', 'exit 6 when every host is ok and something changed (with --check: would change)')
    .option('--assert-idempotent', 'run the play a second time; exit 7 naming the tasks when that run changes anything')
    .option('--confirm', 'plan first (check mode with diffs), show what would change per host, and ask before applying exactly that')
    .option('-y, --yes', 'with --confirm: apply without asking')
    .action(async (playbooks: string[], flags: PlayFlags) => {
      const { runPlay } = await import('./run-play.js');
      process.exitCode = await runPlay(playbooks.length ? playbooks : [DEFAULT_PLAYBOOK], flags);
    });

  addSelectionOptions(
    addTargetOptions(
      program
        .command('check')
        .description('check playbooks (YAML, schemas, module arguments, templates, patterns) without contacting any host')
        .argument('[playbooks...]', 'playbook files'),
    ),
  ).action(async (playbooks: string[], flags: PlayFlags) => {
    const { checkPlaybooks } = await import('./run-play.js');
    process.exitCode = await checkPlaybooks(playbooks.length ? playbooks : [DEFAULT_PLAYBOOK], flags);
  });
}

export { EXIT };
