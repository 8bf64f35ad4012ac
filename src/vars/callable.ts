/** What filters and tests are made of: argument rules (positional and keyword) and typed argument readers. */
import { pyRegex } from './py-regex.js';
import { typeName } from './values.js';

export interface Callable<R> {
  /** Required positional arguments, not counting the piped/tested value. */
  min: number;
  /** Positional arguments at most (Infinity: any number). */
  max: number;
  /** Names of the positional arguments, so `name=value` may give them (Python keyword arguments). */
  names?: string[];
  /** Keyword-only arguments. */
  keywords?: string[];
  acceptsUndefined?: boolean;
  fn(v: unknown, args: unknown[], kw: Record<string, unknown>): R;
}

export function def<R>(min: number, max: number, fn: Callable<R>['fn'], more: Partial<Pick<Callable<R>, 'names' | 'keywords' | 'acceptsUndefined'>> = {}): Callable<R> {
  return { min, max, fn, ...more };
}

/** The problem with a call of `def` with these many positional arguments and these keyword names, if any. */
export function argumentProblem(what: string, d: Callable<unknown>, positional: number, keywords: string[]): string | undefined {
  const slots = new Set<number>();
  for (let i = 0; i < positional; i++) slots.add(i);
  for (const k of keywords) {
    const i = d.names?.indexOf(k) ?? -1;
    if (i >= 0) {
      if (slots.has(i)) return `${what} got argument '${k}' twice`;
      slots.add(i);
    } else if (!d.keywords?.includes(k)) {
      const known = [...(d.names ?? []), ...(d.keywords ?? [])];
      return `${what} has no argument '${k}'${known.length ? ` (it takes: ${known.join(', ')})` : ''}`;
    }
  }
  const given = slots.size ? Math.max(...slots) + 1 : 0;
  if (given < d.min || given > d.max || slots.size < Math.min(given, d.min)) {
    const want = d.min === d.max ? `${d.min}` : d.max === Infinity ? `at least ${d.min}` : `${d.min} to ${d.max}`;
    return `${what} takes ${want} argument(s), got ${given}`;
  }
  return undefined;
}

/** Positional arguments with keyword ones put in their slots; the rest of the keywords apart. */
export function bindArguments(d: Callable<unknown>, positional: unknown[], keywords: Record<string, unknown>): { args: unknown[]; kw: Record<string, unknown> } {
  const args = [...positional];
  const kw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(keywords)) {
    const i = d.names?.indexOf(k) ?? -1;
    if (i >= 0) args[i] = v;
    else kw[k] = v;
  }
  return { args, kw };
}

export function wantString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} needs a string, got ${typeName(v)}`);
  return v;
}

export function wantList(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} needs a list, got ${typeName(v)}`);
  return v;
}

export function wantNumber(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`${what} needs a number, got ${typeName(v)}`);
  return v;
}

/** A Python regular expression argument as JavaScript runs it; an invalid one is an error naming it. */
export function regexArg(pattern: unknown, flags: { ignorecase?: unknown; multiline?: unknown; global?: boolean; anchored?: boolean } = {}): RegExp {
  const p = wantString(pattern, 'a regular expression');
  try {
    return pyRegex(p, { ...flags, ignorecase: flags.ignorecase === true, multiline: flags.multiline === true }).re;
  } catch (e) {
    throw new Error(`invalid regular expression '${p}': ${(e as Error).message}`);
  }
}
