/**
 * The vault passwords of this run, and every vault it opened. The CLI sets the passwords once,
 * before anything loads; the YAML loader opens vaults through here, so each vault text is
 * decrypted once per run however often its file is read (include_vars reads a file at check,
 * at `defines` and at run time). Without passwords a vault is an error, or, for `fabric check`,
 * a note: the vault stays shut and is listed as not checked.
 */
import { InputError, type SourcePos } from '../errors.js';
import { decryptBody, parseEnvelope, VaultFormatError } from './cipher.js';
import type { VaultSecret } from './passwords.js';

export type WithoutPassword = 'error' | 'note';

let secrets: VaultSecret[] = [];
let withoutPassword: WithoutPassword = 'error';
const opened = new Map<string, string>();
let decryptions = 0;
const shut: ShutVault[] = [];

/** A vault left shut: where, and whether it was a whole file (whose variable names are then unknown). */
export interface ShutVault {
  pos: SourcePos;
  whole: boolean;
}

/** Sets the run's passwords (and what a vault without one means). Forgets what was opened with others. */
export function useVaultSecrets(list: VaultSecret[], mode: WithoutPassword = 'error'): void {
  secrets = list;
  withoutPassword = mode;
  opened.clear();
  shut.length = 0;
}

export function hasVaultSecrets(): boolean {
  return secrets.length > 0;
}

/** How many vault texts this run has decrypted (each once: the rest come from the cache). */
export function vaultDecryptions(): number {
  return decryptions;
}

/** Vaults left shut because no password was given (`fabric check`), where they are. */
export function unopenedVaults(): readonly ShutVault[] {
  return shut;
}

/** The secrets to try, as Ansible tries them: those whose id is the header's first, then the rest in order. */
export function triedInOrder(list: readonly VaultSecret[], headerId: string): VaultSecret[] {
  return [...list.filter((s) => s.id === headerId), ...list.filter((s) => s.id !== headerId)];
}

export interface Decrypted {
  plaintext: Buffer;
  secret: VaultSecret;
  /** The header's vault id ('default' for 1.1): edit and rekey keep or replace it. */
  headerId: string;
}

/** Decrypts with the first secret that opens it; `what` names the file (and line) in the error. */
export function decryptWith(text: string, list: readonly VaultSecret[], what: string, pos?: SourcePos): Decrypted {
  let env;
  try {
    env = parseEnvelope(text);
  } catch (e) {
    if (e instanceof VaultFormatError) throw new InputError(`vault format error in ${what}: ${e.message}`, pos);
    throw e;
  }
  const order = triedInOrder(list, env.vaultId);
  for (const secret of order) {
    let plaintext: Buffer | undefined;
    try {
      plaintext = decryptBody(env.body, secret.password);
    } catch (e) {
      if (e instanceof VaultFormatError) throw new InputError(`vault format error in ${what}: ${e.message}`, pos);
      throw e;
    }
    if (plaintext) return { plaintext, secret, headerId: env.vaultId };
  }
  const tried = order.map((s) => `${s.id} (${s.source})`).join(', ');
  throw new InputError(`decryption failed: wrong vault password for ${what}`, pos, `tried vault id${order.length === 1 ? '' : 's'} ${tried}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The plaintext of a vault met while loading YAML, as text; undefined when it stays shut (no
 * password, in note mode). `what` is "FILE" for a whole file, "the !vault value at FILE:LINE" inline.
 */
export function openVault(text: string, pos: SourcePos, what: string, whole = false): string | undefined {
  const known = opened.get(text);
  if (known !== undefined) return known;
  if (!secrets.length) {
    if (withoutPassword === 'note') {
      shut.push({ pos, whole });
      return undefined;
    }
    throw new InputError(`${what} is vault-encrypted and no vault password was given`, pos, 'give --vault-password-file FILE, --vault-id label@FILE or --ask-vault-pass');
  }
  const { plaintext } = decryptWith(text, secrets, what, pos);
  decryptions++;
  let out: string;
  try {
    out = utf8.decode(plaintext);
  } catch {
    throw new InputError(`${what} decrypts to data that is not UTF-8 text`, pos);
  }
  opened.set(text, out);
  return out;
}
