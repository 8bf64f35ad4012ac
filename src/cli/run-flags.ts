/** The ansible-playbook flags that become variables, a limit file, password files (sudo, vault), and the retry file. */
import type { Command } from 'commander';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { noteInput } from '../load/inputs.js';
import type { VarsLayer } from '../inventory/vars-files.js';
import type { Vars } from '../modules/types.js';
import { useVaultSecrets, type WithoutPassword } from '../vault/keyring.js';
import { loadVaultSecrets, type VaultPasswordFlags } from '../vault/passwords.js';

export interface ConnectionFlags {
  user?: string;
  privateKey?: string;
  become?: boolean;
  becomeUser?: string;
  becomePasswordFile?: string;
  limit?: string;
}

/**
 * -u, --private-key, -b, --become-user as the lowest variables of every host: inventory and play
 * keywords win over them, as in Ansible (ansible_user beats -u; `become: false` beats -b).
 */
export function connectionDefaults(f: ConnectionFlags): VarsLayer {
  const vars: Vars = {};
  const origins: Record<string, string> = {};
  const set = (k: string, v: unknown, flag: string) => {
    vars[k] = v;
    origins[k] = `command line (${flag})`;
  };
  if (f.user !== undefined) set('fabric_user', f.user, '-u');
  if (f.privateKey !== undefined) set('fabric_ssh_key', f.privateKey, '--private-key');
  if (f.become) set('fabric_become', true, '-b');
  if (f.becomeUser !== undefined) set('fabric_become_user', f.becomeUser, '--become-user');
  return { vars, origins };
}

/** `-l @file`: the host names in the file (one per line, as a retry file holds them), as a pattern. */
export function limitPattern(limit: string | undefined): string | undefined {
  if (!limit?.startsWith('@')) return limit;
  const file = limit.slice(1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    noteInput(file, text);
  } catch (e) {
    throw new InputError(`--limit file '${file}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const hosts = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!hosts.length) throw new InputError(`--limit file '${file}' names no host`);
  return hosts.join(':');
}

/** --become-password-file: the file's first line (a trailing newline is not part of the password). */
export function becomePasswordFrom(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]!.replace(/\r$/, '');
  } catch (e) {
    throw new InputError(`--become-password-file '${file}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * --retry-file: the hosts that failed or were unreachable, one per line, in `<playbook>.retry`
 * beside the (first) playbook, written atomically; `-l @site.retry` runs them again. The path, or
 * undefined when no host failed (a stale retry file is left alone, as Ansible does).
 */
export function writeRetryFile(playbook: string, failed: string[]): string | undefined {
  if (!failed.length) return undefined;
  const path = join(dirname(resolve(playbook)), `${basename(playbook).replace(/\.ya?ml$/, '')}.retry`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, failed.map((h) => `${h}\n`).join(''));
  renameSync(tmp, path);
  return path;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The vault flags every command that loads playbooks or vault files takes, as ansible-playbook and ansible-vault spell them. */
export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option('--vault-id <label@source>', 'a vault password: label@FILE, label@SCRIPT or label@prompt (repeatable)', collect)
    .option('--vault-password-file <file>', 'a vault password file, or an executable printing it (repeatable)', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password on the terminal');
}

/**
 * Reads the vault passwords the flags name (and FABRIC_VAULT_PASSWORD_FILE) before anything loads.
 * `note` (fabric check): a vault no password opens is listed as not checked instead of failing.
 */
export async function setUpVault(flags: VaultPasswordFlags, withoutPassword: WithoutPassword): Promise<void> {
  useVaultSecrets(await loadVaultSecrets(flags, { why: 'this run' }), withoutPassword);
}
