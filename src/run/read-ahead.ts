import { randomBytes } from 'node:crypto';
import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import { mergedProbeScript, splitMerged } from '../modules/lib/probe-merge.js';
import type { ProbeSpec } from '../modules/lib/probe-spec.js';

/**
 * Read-ahead of probes: at the start of a play section the executor asks each task's module which
 * read-only probe it would send first (ExecOptions.probe), runs all of a host's probes in ONE round
 * trip, and serves each task's probe from that batch. A no-op rerun then costs one round trip per
 * host for the whole section instead of one per task.
 *
 * The batch stays true only while nothing changes the host: any exec that is not a probe (unless
 * its result says it changed nothing) or any upload drops what is left, and later tasks probe
 * live, as without read-ahead. Results are matched by the exact script text, so a task whose
 * arguments render differently by the time it runs simply probes live.
 */
export class ReadAhead {
  private results = new Map<string, ExecResult[]>();
  /** Commands running now that may change the host (delegated tasks can overlap): serve nothing meanwhile. */
  changing = 0;

  fill(scripts: string[], results: ExecResult[]): void {
    scripts.forEach((s, i) => {
      const list = this.results.get(s) ?? [];
      list.push(results[i]!);
      this.results.set(s, list);
    });
  }

  /** The result read ahead for this probe, used once. */
  take(script: string): ExecResult | undefined {
    if (this.changing > 0) return undefined;
    const list = this.results.get(script);
    const r = list?.shift();
    if (list && !list.length) this.results.delete(script);
    return r;
  }

  /** Something may have changed the host: nothing read before may be served any more. */
  drop(): void {
    this.results.clear();
  }

  get size(): number {
    return this.results.size;
  }
}

/** A host's connection that serves probes from its read-ahead and drops it on any change. */
export function readAheadConnection(conn: Connection, ahead: ReadAhead): Connection {
  return {
    host: conn.host,
    stats: conn.stats,
    async exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
      if (opts?.probe) {
        const r = ahead.take(script);
        if (r) return r;
        return conn.exec(script, opts);
      }
      if (!opts?.unchangedIf) ahead.drop();
      ahead.changing++;
      try {
        const r = await conn.exec(script, opts);
        if (opts?.unchangedIf && !opts.unchangedIf(r)) ahead.drop();
        return r;
      } catch (e) {
        ahead.drop();
        throw e;
      } finally {
        ahead.changing--;
      }
    },
    upload(content: Buffer, remotePath: string): Promise<void> {
      ahead.drop();
      return conn.upload(content, remotePath);
    },
    close: () => conn.close(),
  };
}

/** Thrown by the recording connection to stop a module at its first step on the host. */
class Recorded extends Error {}

/** A probe a task would send: its script, and its spec when the module gave one (it can be merged). */
export interface RecordedProbe {
  script: string;
  spec?: ProbeSpec;
}

/**
 * Runs a module against a connection that records its first exec and stops it there: the probe
 * (with become applied) the task would send first, or undefined when its first step is not a
 * probe. Nothing reaches the host.
 */
export async function firstProbe(run: (conn: Connection) => Promise<unknown>, host: string): Promise<RecordedProbe | undefined> {
  let probe: RecordedProbe | undefined;
  let stopped = false;
  const stop = (): Promise<never> => {
    stopped = true;
    return Promise.reject(new Recorded());
  };
  const recorder: Connection = {
    host,
    stats: { execs: 0, uploads: 0 },
    exec(script: string, opts?: ExecOptions) {
      if (!stopped && opts?.probe) probe = { script, ...(typeof opts.probe === 'object' ? { spec: opts.probe } : {}) };
      return stop();
    },
    upload: () => stop(),
    close: async () => undefined,
  };
  await (async () => run(recorder))().catch(() => undefined);
  return probe;
}

/**
 * One script that runs the probes one after another in the session shell (probes are inline-safe)
 * and frames each one's output, stderr and exit code; splitBatch takes it apart.
 */
export function batchScript(probes: string[]): { script: string; token: string } {
  const token = `\x1fRA${randomBytes(6).toString('hex')}`;
  const script = probes
    .map((p, i) => `{\n${p}\n} </dev/null\nprintf '%s:%d\\037\\n' '${token}${i}' "$?"; printf '%s\\037\\n' '${token}${i}' >&2`)
    .join('\n');
  return { script, token };
}

/** Each probe's result from a batch's output; undefined when the output is not whole. */
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

/**
 * A host's probes read ahead in one round trip: those with a spec merged into one script (fewer
 * programs started on the host), the others framed one by one. Returns what the batch could
 * answer: a part whose output is not whole (or a merged run that gave up) is left out, and those
 * tasks probe live.
 */
export async function readAheadBatch(conn: Connection, probes: RecordedProbe[]): Promise<{ scripts: string[]; results: ExecResult[] }> {
  const merged = probes.filter((p) => p.spec);
  const alone = probes.filter((p) => !p.spec);
  const parts = alone.map((p) => p.script);
  if (merged.length) parts.push(mergedProbeScript(merged.map((p) => p.spec!)));
  const { script, token } = batchScript(parts);
  const split = splitBatch(await conn.exec(script, { inline: true }), token, parts.length);
  if (!split) return { scripts: [], results: [] };
  const scripts = alone.map((p) => p.script);
  const results = split.slice(0, alone.length);
  const fromMerged = merged.length ? splitMerged(merged.map((p) => p.spec!), split[alone.length]!) : undefined;
  if (fromMerged) {
    scripts.push(...merged.map((p) => p.script));
    results.push(...fromMerged);
  }
  return { scripts, results };
}
