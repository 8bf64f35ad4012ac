import { randomBytes } from 'node:crypto';
import { OUTPUT_KEEP } from '../connection/shell-session.js';
import type { Connection, ExecResult } from '../connection/types.js';
import { FactError, factKey, factScript, parseFact, type FactSpec, type FileFact, type SysctlFact } from '../modules/lib/facts.js';
import { mergedProbeScript, splitMerged } from '../modules/lib/probe-merge.js';
import { factPrint } from './fact-print.js';

/** A fact as one task wants it: the spec, and the user it is read as (become), if not the login user. */
export interface FactRequest {
  spec: FactSpec;
  /** Wraps the reading script for become (module-context.ts); undefined: as the login user. */
  runAs?: { key: string; wrap(script: string): string };
}

/** A fact as read: its value or why it could not be read, and its fingerprint (fact-print.ts). */
export interface FactEntry {
  value?: unknown;
  error?: FactError;
  print: string;
}

/** A fact a task's decision was made on, as a plan records it. */
export interface FactRead {
  req: FactRequest;
  print: string;
}

/** What identifies a request in a host's cache and in fetchFacts' answer. */
export const keyOf = (r: FactRequest) => `${r.runAs?.key ?? ''}\0${factKey(r.spec)}`;
const mergeable = (s: FactSpec): s is FileFact | SysctlFact => s.kind === 'file' || s.kind === 'sysctl';

/**
 * One host's facts, owned by the engine: a task's declared facts are served from here, fetched in
 * one round trip when missing; a section's facts are fetched ahead in one round trip (prefetch).
 * Any change to the host (an exec or upload that is not a fact read) drops everything, and
 * nothing fetched while a change was under way is kept.
 */
export class HostFacts {
  private readonly values = new Map<string, FactEntry>();
  private generation = 0;
  private changing = 0;

  constructor(private readonly connect: () => Promise<Connection>) {}

  get size(): number {
    return this.values.size;
  }

  /** Runs change(): the host may differ afterwards, so no fact read before or during it is served. */
  async changes<T>(change: () => Promise<T>): Promise<T> {
    this.drop();
    this.changing++;
    try {
      return await change();
    } finally {
      this.changing--;
      this.drop();
    }
  }

  /** Facts read elsewhere on this host's connection (apply's verified re-read): served as if fetched here. */
  seed(entries: Array<[string, FactEntry]>): void {
    if (this.changing > 0) return;
    for (const [k, e] of entries) if (!e.error) this.values.set(k, e);
  }

  drop(): void {
    this.values.clear();
    this.generation++;
  }

  /** The values of reqs, in order: cached ones at once, the rest in one round trip. Throws FactError. */
  async get(reqs: FactRequest[]): Promise<unknown[]> {
    return (await this.entries(reqs)).map((got) => {
      if (got.error) throw got.error;
      return got.value;
    });
  }

  private async entries(reqs: FactRequest[]): Promise<FactEntry[]> {
    const missing = this.changing > 0 ? reqs : reqs.filter((r) => !this.values.has(keyOf(r)));
    const fetched = missing.length ? await this.fetch(missing) : new Map<string, FactEntry>();
    return reqs.map((r) => {
      const got = fetched.get(keyOf(r)) ?? this.values.get(keyOf(r));
      if (!got) throw new FactError('fact not read'); // not reached: fetch answers every request
      return got;
    });
  }

  /**
   * The typed object a module's run() gets: each declared name with its value. An ahead-only fact
   * is its cached value, or undefined (never fetched here). Throws FactError. seen: the facts the
   * values came from, with their fingerprints (a plan records them).
   */
  async named(names: string[], reqs: FactRequest[], seen?: (reads: FactRead[]) => void): Promise<Record<string, unknown>> {
    const ahead = (r: FactRequest) => r.spec.kind === 'exists' && r.spec.aheadOnly === true;
    const fetched = reqs.filter((r) => !ahead(r));
    const entries = fetched.length ? await this.entries(fetched) : [];
    const out: Record<string, unknown> = {};
    const reads: FactRead[] = [];
    let k = 0;
    reqs.forEach((r, i) => {
      const got = !ahead(r) ? entries[k++] : this.changing > 0 ? undefined : this.values.get(keyOf(r));
      if (got) reads.push({ req: r, print: got.print });
      if (got?.error && !ahead(r)) throw got.error;
      out[names[i]!] = got && !got.error ? got.value : undefined;
    });
    seen?.(reads);
    return out;
  }

  /** Fetches ahead what reqs need and is not cached yet, when that saves a round trip (two or more). */
  async prefetch(reqs: FactRequest[]): Promise<void> {
    const missing = new Map(reqs.filter((r) => !this.values.has(keyOf(r))).map((r) => [keyOf(r), r]));
    if (missing.size < 2 || this.changing > 0) return;
    await this.fetch([...missing.values()]);
  }

  private async fetch(reqs: FactRequest[]): Promise<Map<string, FactEntry>> {
    const generation = this.generation;
    const unique = [...new Map(reqs.map((r) => [keyOf(r), r])).values()];
    const conn = await this.connect();
    const out = await fetchFacts(conn, unique);
    // A change that started meanwhile may have made these stale: answer this task, keep nothing.
    if (generation === this.generation && this.changing === 0) for (const [k, v] of out) this.values.set(k, v);
    return out;
  }
}

/**
 * Reads facts in one round trip: per user, the file and sysctl facts merged into one script
 * (fewer programs started on the host), every other fact framed alone. A merged part that gave up
 * (a file changed while it was read, bytes that are not UTF-8) is read again fact by fact.
 */
export async function fetchFacts(conn: Connection, reqs: FactRequest[]): Promise<Map<string, FactEntry>> {
  type Part = { script: string; reqs: FactRequest[]; merged: boolean };
  const parts: Part[] = [];
  const byUser = new Map<string, FactRequest[]>();
  for (const r of reqs) {
    if (mergeable(r.spec)) byUser.set(r.runAs?.key ?? '', [...(byUser.get(r.runAs?.key ?? '') ?? []), r]);
    else parts.push({ script: wrap(r, factScript(r.spec)), reqs: [r], merged: false });
  }
  for (const group of byUser.values()) {
    const specs = group.map((r) => r.spec as FileFact | SysctlFact);
    if (group.length === 1) parts.push({ script: wrap(group[0]!, factScript(specs[0]!)), reqs: group, merged: false });
    else parts.push({ script: wrap(group[0]!, mergedProbeScript(specs)), reqs: group, merged: true });
  }
  const { script, token } = batchScript(parts.map((p) => p.script));
  const answered = await conn.exec(script, { inline: true });
  const out = new Map<string, FactEntry>();
  const failed = (r: FactRequest, error: FactError) => out.set(keyOf(r), { error, print: factPrint(r.spec, { error }) });
  if (answered.cut) {
    // Host state read as data must be whole: a cut answer is an error, never a guess.
    const error = new FactError(`the host's answer to a state read was over ${OUTPUT_KEEP} characters (output limit); its middle was cut`);
    for (const r of reqs) failed(r, error);
    return out;
  }
  const results = splitBatch(answered, token, parts.length);
  const answer = (r: FactRequest, res: ExecResult) => {
    try {
      const value = parseFact(r.spec, res);
      out.set(keyOf(r), { value, print: factPrint(r.spec, { value, raw: res }) });
    } catch (e) {
      failed(r, e instanceof FactError ? e : new FactError(`cannot read host state: ${(e as Error).message}`));
    }
  };
  const again: FactRequest[] = [];
  parts.forEach((p, i) => {
    const res = results?.[i];
    if (!res) return again.push(...p.reqs);
    if (!p.merged) return answer(p.reqs[0]!, res);
    const each = splitMerged(p.reqs.map((r) => r.spec as FileFact | SysctlFact), res);
    if (!each) return again.push(...p.reqs);
    p.reqs.forEach((r, k) => out.set(keyOf(r), { value: each[k], print: factPrint(r.spec, { value: each[k] }) }));
  });
  if (again.length && results) {
    // Each alone now: one more round trip, only when the merged read did not add up.
    const alone = batchScript(again.map((r) => wrap(r, factScript(r.spec))));
    const split = splitBatch(await conn.exec(alone.script, { inline: true }), alone.token, again.length);
    again.forEach((r, i) => (split ? answer(r, split[i]!) : failed(r, new FactError('the host answered a fact read in part only'))));
  } else for (const r of again) failed(r, new FactError('the host answered a fact read in part only'));
  return out;
}

const wrap = (r: FactRequest, script: string) => (r.runAs ? r.runAs.wrap(script) : script);

/**
 * One script that runs the parts one after another in the session shell (each is inline-safe)
 * and frames each one's output, stderr and exit code; splitBatch takes it apart.
 */
export function batchScript(parts: string[]): { script: string; token: string } {
  const token = `\x1fRA${randomBytes(6).toString('hex')}`;
  const script = parts
    .map((p, i) => `{\n${p}\n} </dev/null\nprintf '%s:%d\\037\\n' '${token}${i}' "$?"; printf '%s\\037\\n' '${token}${i}' >&2`)
    .join('\n');
  return { script, token };
}

/** Each part's result from a batch's output; undefined when the output is not whole. */
export function splitBatch(r: ExecResult, token: string, n: number): ExecResult[] | undefined {
  const out: ExecResult[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const oMark = r.stdout.indexOf(`${token}${i}:`, o);
    const oEnd = oMark < 0 ? -1 : r.stdout.indexOf('\x1f\n', oMark);
    const eMark = `${token}${i}\x1f\n`;
    const eAt = r.stderr.indexOf(eMark, e);
    if (oMark < 0 || oEnd < 0 || eAt < 0) return undefined;
    const rc = Number(r.stdout.slice(oMark + token.length + String(i).length + 1, oEnd));
    out.push({ rc, stdout: r.stdout.slice(o, oMark), stderr: r.stderr.slice(e, eAt) });
    o = oEnd + 2;
    e = eAt + eMark.length;
  }
  return out;
}
