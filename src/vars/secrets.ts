/**
 * Secrets by origin. Every vault plaintext of the run is registered here, and so is whatever a
 * filter, test, method or helper makes of one, so `{{ bgp_password | b64encode }}` is as secret
 * as the password. Text around a secret stays readable: `password is ********`.
 * Output is masked at the process's stdout and stderr (src/cli/output-mask.ts) and in files
 * fabric writes on the controller, with no `no_log` needed.
 *
 * Text shorter than MIN_SECRET is not masked: a 2-character vaulted value would mask that pair of
 * characters in every line of output (README: Vault).
 */
import { isPlainObject } from './values.js';

export const MASK = '********';
export const MIN_SECRET = 4;

const known = new Set<string>();
/** Longest first, so a secret containing another is masked whole. Rebuilt on registration. */
let ordered: string[] = [];

function add(text: string, min: number): void {
  if (text.length < min || known.has(text)) return;
  known.add(text);
  // --json writes strings escaped: a secret with a quote, backslash or line break is masked there too.
  const escaped = JSON.stringify(text).slice(1, -1);
  if (escaped !== text) known.add(escaped);
  ordered = [...known].sort((a, b) => b.length - a.length);
}

/** Registers a vault plaintext (every string and number inside it). */
export function registerSecret(value: unknown): void {
  if (typeof value === 'string') add(value, MIN_SECRET);
  else if (typeof value === 'number') add(String(value), MIN_SECRET);
  else if (Array.isArray(value)) value.forEach(registerSecret);
  else if (isPlainObject(value)) Object.values(value).forEach(registerSecret);
}

export function hasSecrets(): boolean {
  return known.size > 0;
}

/** Does this value (deep) hold any secret text? */
export function holdsSecret(value: unknown, depth = 0): boolean {
  if (known.size === 0 || depth > 32) return false;
  if (typeof value === 'string') return ordered.some((s) => value.includes(s));
  if (typeof value === 'number') return known.has(String(value));
  if (Array.isArray(value)) return value.some((v) => holdsSecret(v, depth + 1));
  if (isPlainObject(value)) return Object.values(value).some((v) => holdsSecret(v, depth + 1));
  return false;
}

/** The text with every secret in it replaced by MASK. */
export function maskSecrets(text: string): string {
  if (known.size === 0) return text;
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** A deep copy with every string masked (JSON documents, saved plans). */
export function maskDeep<T>(value: T): T {
  if (known.size === 0) return value;
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map(maskDeep) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskSecrets(k), maskDeep(v)])) as T;
  return value;
}

/**
 * A filter, test, method or helper turned these inputs into output: when a secret is among the
 * inputs, the text of the output is secret too (a boolean or number it returned is not text).
 */
export function deriveSecret(inputs: unknown[], output: unknown): void {
  if (known.size !== 0 && inputs.some((v) => holdsSecret(v))) registerDerived(output);
}

function registerDerived(value: unknown): void {
  if (typeof value === 'string') add(value, MIN_SECRET);
  else if (Array.isArray(value)) value.forEach(registerDerived);
  else if (isPlainObject(value)) Object.values(value).forEach(registerDerived);
}
