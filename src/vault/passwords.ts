/**
 * Vault passwords from the command line, as ansible-playbook and ansible-vault take them:
 * `--vault-id label@source` (a file, an executable, or `prompt`), `--vault-password-file`,
 * FABRIC_VAULT_PASSWORD_FILE and `--ask-vault-pass`, in Ansible's order (the ids first).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '../errors.js';
import { DEFAULT_VAULT_ID } from './cipher.js';
import { promptHidden } from './prompt.js';

export interface VaultSecret {
  /** The vault id (label); 'default' for a password given without one. */
  id: string;
  password: Buffer;
  /** Where it came from, for messages: a file, a script, or the prompt. */
  source: string;
}

export interface VaultPasswordFlags {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

/** Python's bytes.strip(): ASCII whitespace at both ends, as Ansible strips a password file. */
const stripWhitespace = (s: string): string => s.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A password script named `*-client[.ext]` is asked for the id (`--vault-id label`), as Ansible's client scripts are. */
const isClientScript = (path: string): boolean => basename(path, extname(path)).endsWith('-client');

/** The password a file holds, or an executable prints on stdout (its stderr stays the user's, for its own prompts). */
export function readPasswordSource(path: string, id: string, flag: string): VaultSecret {
  if (!existsSync(path)) throw new InputError(`${flag}: vault password file '${path}' not found`);
  let text: string;
  if (isExecutable(path)) {
    const client = isClientScript(path);
    try {
      text = execFileSync(path, client ? ['--vault-id', id] : [], { stdio: ['inherit', 'pipe', client ? 'pipe' : 'inherit'], encoding: 'utf8' }).replace(/^[\r\n]+|[\r\n]+$/g, '');
    } catch (e) {
      const err = e as { status?: number | null; stderr?: string; message: string };
      if (client && err.status === 2) throw new InputError(`${flag}: vault password client script '${path}' knows no password for vault id '${id}'`);
      const how = err.status != null ? `exited ${err.status}` : err.message;
      throw new InputError(`${flag}: vault password script '${path}' failed (${how})${err.stderr ? `: ${err.stderr.trim()}` : ''}`);
    }
  } else {
    try {
      text = stripWhitespace(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new InputError(`${flag}: vault password file '${path}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (!text) throw new InputError(`${flag}: vault password ${isExecutable(path) ? 'script' : 'file'} '${path}' gave an empty password`);
  return { id, password: Buffer.from(text, 'utf8'), source: path };
}

/** `label@source` → [label, source]; without `@`, the whole text is the source, as Ansible splits it. */
export function splitVaultId(spec: string): { id: string; source: string } {
  if (spec.includes(';')) throw new InputError(`--vault-id '${spec}': the character ';' is not allowed in vault ids`);
  const at = spec.indexOf('@');
  if (at < 0) return { id: DEFAULT_VAULT_ID, source: spec };
  return { id: spec.slice(0, at) || DEFAULT_VAULT_ID, source: spec.slice(at + 1) };
}

async function prompted(id: string, forNew: boolean, askFormat: boolean, why: string): Promise<VaultSecret> {
  const ask = askFormat ? (forNew ? 'New Vault password: ' : 'Vault password: ') : forNew ? `New vault password (${id}): ` : `Vault password (${id}): `;
  const pw = stripWhitespace(await promptHidden(ask, why));
  if (forNew) {
    const again = stripWhitespace(await promptHidden(askFormat ? 'Confirm New Vault password: ' : `Confirm new vault password (${id}): `, why));
    if (again !== pw) throw new InputError('the vault passwords entered do not match');
  }
  if (!pw) throw new InputError('an empty vault password was entered');
  return { id, password: Buffer.from(pw, 'utf8'), source: 'the prompt' };
}

export interface SecretOptions {
  /** For encrypting: a prompt asks twice (a new password). */
  forNew?: boolean;
  /** No source given: ask on the terminal (ansible-vault does; a playbook run does not). */
  autoPrompt?: boolean;
  /** The command, for the no-terminal error. */
  why?: string;
  env?: NodeJS.ProcessEnv;
}

/** Every password the flags name, in Ansible's order: --vault-id ones, the password files (then the env's), then --ask-vault-pass. */
export async function loadVaultSecrets(flags: VaultPasswordFlags, opts: SecretOptions = {}): Promise<VaultSecret[]> {
  const why = opts.why ?? 'fabric';
  const out: VaultSecret[] = [];
  for (const spec of flags.vaultId ?? []) {
    const { id, source } = splitVaultId(spec);
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') out.push(await prompted(id, !!opts.forNew, source !== 'prompt', `--vault-id ${spec}`));
    else out.push(readPasswordSource(source, id, `--vault-id ${spec}`));
  }
  for (const f of flags.vaultPasswordFile ?? []) out.push(readPasswordSource(f, DEFAULT_VAULT_ID, '--vault-password-file'));
  const envFile = (opts.env ?? process.env).FABRIC_VAULT_PASSWORD_FILE;
  if (envFile) out.push(readPasswordSource(envFile, DEFAULT_VAULT_ID, 'FABRIC_VAULT_PASSWORD_FILE'));
  if (flags.askVaultPass || (opts.autoPrompt && out.length === 0)) out.push(await prompted(DEFAULT_VAULT_ID, !!opts.forNew, true, flags.askVaultPass ? '--ask-vault-pass' : why));
  return out;
}
