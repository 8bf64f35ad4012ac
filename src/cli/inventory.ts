import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { parse as parseYamlValue } from 'yaml';
import { InputError, InputErrors } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import { loadInventory, loadInventoryText, type LoadedInventory } from '../inventory/index.js';
import { useVaultSecrets } from '../vault/keyring.js';
import {
  checkVarName,
  overriddenNotes,
  planAddGroup,
  planAddHost,
  planRemoveGroup,
  planRemoveHost,
  planSetVars,
  planUnsetVars,
  type EditPlan,
  type VarTarget,
} from '../inventory/edits.js';
import { hostReport, hostReportText, inventoryGraph, inventoryJson, inventoryTree } from '../inventory/render.js';
import { applyEdits } from '../inventory/text-edit.js';

export const DEFAULT_INVENTORY = 'inventory/hosts.yml';

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

function inventoryPath(cmd: Command): string {
  return (cmd.optsWithGlobals() as { inventory?: string }).inventory ?? DEFAULT_INVENTORY;
}

/** `k=v` with v read as a YAML scalar: `port=22` is a number, `port='"22"'` a string, `x=` null. */
export function parseAssignment(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InputError(`expected NAME=VALUE, got '${text}'`);
  const name = text.slice(0, eq);
  checkVarName(name);
  try {
    return [name, parseYamlValue(text.slice(eq + 1), { schema: 'core' }) ?? null];
  } catch (e) {
    throw new InputError(`cannot read the value of '${name}' as YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function assignments(list: string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const a of list) {
    const [k, v] = parseAssignment(a);
    vars[k] = v;
  }
  return vars;
}

function varTarget(o: { host?: string; group?: string; all?: boolean }): VarTarget {
  const given = [o.host !== undefined, o.group !== undefined, o.all === true].filter(Boolean).length;
  if (given !== 1) throw new InputError('give exactly one of --host HOST, --group GROUP or --all');
  return o.host !== undefined ? { host: o.host } : o.group !== undefined ? { group: o.group } : { all: true };
}

/** Writes beside the original then renames over it, keeping the mode: readers see old or new, never half. */
function writeFileAtomicLocal(path: string, text: string): void {
  const real = realpathSync(path);
  const mode = statSync(real).mode & 0o7777;
  const tmp = join(dirname(real), `.${basename(real)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, real);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function readInventoryText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read inventory ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface EditOptions {
  dryRun?: boolean;
}

/**
 * Plans an edit on the current file, splices it into the text, loads the result with the same
 * checks as a run, and only then writes (or prints the diff). Any refusal leaves the file untouched.
 */
function runEdit(cmd: Command, opts: EditOptions, plan: (inv: LoadedInventory) => EditPlan, notes?: (after: LoadedInventory) => string[]): void {
  const path = inventoryPath(cmd);
  const before = readInventoryText(path);
  const before0 = loadInventoryText(path, before);
  const p = plan(before0);
  const after = applyEdits(before, p.ops);
  let result: LoadedInventory;
  try {
    result = loadInventoryText(path, after);
  } catch (e) {
    if (!(e instanceof InputError || e instanceof InputErrors)) throw e;
    // Positions would point into text that was never written: say what is wrong without them.
    const errs = e instanceof InputErrors ? e.errors : [e];
    throw new InputErrors(errs.map((x) => new InputError(`refusing the edit (${path} unchanged): the result would be invalid: ${x.message}`, undefined, x.hint)));
  }
  for (const n of notes?.(result) ?? []) process.stderr.write(`${n}\n`);
  if (opts.dryRun) {
    out(after === before ? `no change to ${path}` : createTwoFilesPatch(path, path, before, after, '', '', { context: 3 }));
    return;
  }
  if (after === before) {
    out(`no change to ${path}`);
    return;
  }
  writeFileAtomicLocal(path, after);
  out(`${p.summary} in ${path}${alsoRemoved(before0, result)}`);
}

/** Hosts/groups that vanished with a forced group removal (they were only defined inside it). */
function alsoRemoved(before: LoadedInventory, after: LoadedInventory): string {
  const hosts = before.hostNames.filter((h) => !after.hasHost(h));
  const groups = before.groupNames.filter((g) => !after.hasGroup(g));
  if (!groups.length) return ''; // a host removal names its host already
  const parts = [hosts.length ? `hosts ${hosts.join(', ')}` : '', groups.length > 1 ? `groups ${groups.join(', ')}` : ''].filter(Boolean);
  return parts.length ? ` (gone with it: ${parts.join('; ')})` : '';
}

function showHost(inv: LoadedInventory, host: string, json: boolean): string {
  if (!inv.hasHost(host)) {
    const g = didYouMean(host, inv.hostNames);
    throw new InputError(`no host '${host}' in ${inv.path}`, undefined, g ? `did you mean '${g}'?` : undefined);
  }
  return json ? JSON.stringify(hostReport(inv, host), null, 2) : hostReportText(inv, host);
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerInventoryCommands(program: Command): void {
  const inv = program
    .command('inventory')
    .description('show and edit the inventory (comments and layout are kept)')
    .option('-i, --inventory <file>', 'inventory file', DEFAULT_INVENTORY)
    // Vaults stay shut here: an edit keeps their text byte for byte, and `show` prints it as written.
    .hook('preAction', () => useVaultSecrets([], 'note'));

  inv
    .command('list')
    .description('groups and hosts; --json in ansible-inventory --list shape')
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }, cmd: Command) => {
      const loaded = loadInventory(inventoryPath(cmd));
      out(o.json ? JSON.stringify(inventoryJson(loaded), null, 2) : inventoryTree(loaded));
    });

  inv
    .command('graph')
    .description('groups and hosts as a tree, like ansible-inventory --graph')
    .argument('[group]', 'group to start at', 'all')
    .action((group: string, _o: unknown, cmd: Command) => {
      const loaded = loadInventory(inventoryPath(cmd));
      if (!loaded.hasGroup(group)) {
        const g = didYouMean(group, loaded.groupNames);
        throw new InputError(`no group '${group}' in ${loaded.path}`, undefined, g ? `did you mean '${g}'?` : undefined);
      }
      out(inventoryGraph(loaded, group));
    });

  inv
    .command('show')
    .description("a host's merged vars, each with where it came from")
    .argument('<host>')
    .option('--json', 'JSON output')
    .action((host: string, o: { json?: boolean }, cmd: Command) => {
      out(showHost(loadInventory(inventoryPath(cmd)), host, o.json === true));
    });

  inv
    .command('add-host')
    .description('add a host to a group')
    .argument('<name>')
    .requiredOption('-g, --group <group>', 'group to add it to (all: no group)')
    .option('--var <name=value>', 'host variable (repeatable); the value is read as YAML', collect, [])
    .option('--dry-run', 'print the diff instead of writing')
    .action((name: string, o: { group: string; var: string[]; dryRun?: boolean }, cmd: Command) => {
      const vars = assignments(o.var);
      runEdit(cmd, o, (i) => planAddHost(i, name, o.group, vars));
    });

  inv
    .command('remove-host')
    .description('remove a host from every group')
    .argument('<name>')
    .option('--dry-run', 'print the diff instead of writing')
    .action((name: string, o: EditOptions, cmd: Command) => runEdit(cmd, o, (i) => planRemoveHost(i, name)));

  inv
    .command('add-group')
    .description('add an empty group')
    .argument('<name>')
    .option('-p, --parent <group>', 'parent group', 'all')
    .option('--dry-run', 'print the diff instead of writing')
    .action((name: string, o: EditOptions & { parent: string }, cmd: Command) => runEdit(cmd, o, (i) => planAddGroup(i, name, o.parent)));

  inv
    .command('remove-group')
    .description('remove a group (refused while it has hosts or child groups, unless --force)')
    .argument('<name>')
    .option('--force', 'remove it with its hosts and child groups')
    .option('--dry-run', 'print the diff instead of writing')
    .action((name: string, o: EditOptions & { force?: boolean }, cmd: Command) =>
      runEdit(cmd, o, (i) => planRemoveGroup(i, name, o.force === true)),
    );

  inv
    .command('set-var')
    .description('set variables on a host, a group or all')
    .argument('<name=value...>', 'values are read as YAML scalars')
    .option('--host <host>')
    .option('--group <group>')
    .option('--all', 'group all')
    .option('--dry-run', 'print the diff instead of writing')
    .action((list: string[], o: EditOptions & { host?: string; group?: string; all?: boolean }, cmd: Command) => {
      const t = varTarget(o);
      const vars = assignments(list);
      runEdit(cmd, o, (i) => planSetVars(i, t, vars), (after) => overriddenNotes(after, t, Object.keys(vars)));
    });

  inv
    .command('unset-var')
    .description('remove variables from a host, a group or all')
    .argument('<name...>')
    .option('--host <host>')
    .option('--group <group>')
    .option('--all', 'group all')
    .option('--dry-run', 'print the diff instead of writing')
    .action((names: string[], o: EditOptions & { host?: string; group?: string; all?: boolean }, cmd: Command) => {
      const t = varTarget(o);
      names.forEach(checkVarName);
      runEdit(cmd, o, (i) => planUnsetVars(i, t, names));
    });
}
