/**
 * The controller files a run read (playbooks, roles, task and vars files, templates, files, the
 * inventory, group_vars/host_vars listings, library modules), each with a hash of its content, so a
 * saved plan can tell that none changed since (src/plan-file/). Off unless a plan turns it on.
 * Vault-encrypted files are hashed as stored: ciphertext, never a plaintext.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '../run/fact-print.js';

let recording: Map<string, string> | undefined;

export function recordInputs(): void {
  recording ??= new Map();
}

/** A file's content as it was read. */
export function noteInput(path: string, content: string | Buffer): void {
  recording?.set(resolve(path), sha256(content));
}

/** A directory's entries (undefined: there is none), so a vars file added since is seen too. Key ends in '/'. */
export function noteListing(dir: string, names: string[] | undefined): void {
  recording?.set(`${resolve(dir)}/`, listingPrint(names));
}

/** A file or directory a module resolved (template, copy src, include_vars dir). */
export function noteInputPath(path: string): void {
  if (!recording) return;
  const print = printNow(resolve(path)) ?? printNow(`${resolve(path)}/`);
  if (print) recording.set(statSync(path, { throwIfNoEntry: false })?.isDirectory() ? `${resolve(path)}/` : resolve(path), print);
}

export function inputsRead(): Record<string, string> {
  return Object.fromEntries([...(recording ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const listingPrint = (names: string[] | undefined) => (names === undefined ? 'absent' : sha256([...names].sort().join('\0')));

/** The print of a recorded input as it is on disk now; undefined: it is gone. */
export function printNow(key: string): string | undefined {
  try {
    if (key.endsWith('/')) {
      const dir = key.slice(0, -1);
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return listingPrint(undefined);
      return listingPrint(readdirSync(dir));
    }
    return sha256(readFileSync(key));
  } catch {
    return undefined;
  }
}
