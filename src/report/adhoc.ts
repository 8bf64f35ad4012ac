/**
 * Ansible's ad-hoc output (the `minimal` and `oneline` callbacks), byte for byte:
 *   w1 | CHANGED | rc=0 >>            command, shell, raw: the output as text
 *   w1 | SUCCESS => { ...4-space JSON, keys sorted }
 *   w1 | FAILED! => {...}   w1 | UNREACHABLE! => {...}   w1 | SKIPPED
 * `-o` puts each on one line (a failed command as JSON, as Ansible's oneline does). A recap only
 * on request (`--recap`).
 */
import type { ModuleResult } from '../modules/types.js';
import type { HostResult, Reporter, RunEvent } from '../run/events.js';
import { COLOR, stringc, streamWantsColor, type ColorCode } from './ansi.js';
import { diffLines } from './diff.js';
import { flushStream } from './plain.js';
import { formatRecapLine } from './recap.js';

/** Modules whose result Ansible prints as text (C.MODULE_NO_JSON). */
const TEXT_MODULES = new Set(['command', 'shell', 'raw']);
/** Result keys that are fabric's bookkeeping, not the module's answer. */
const INTERNAL = new Set(['facts', 'factsAreTemplates']);

export interface AdhocReporterOptions {
  out: NodeJS.WritableStream;
  oneLine: boolean;
  recap: boolean;
  diff: boolean;
  verbose: number;
}

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedDeep((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * What Ansible's _dump_results shows: the result without internals and without `failed` (the
 * state word says it); diff only at -vvv. A failed module keeps its own changed flag (a failed
 * command says changed: true, as Ansible's does).
 */
function dumped(o: HostResult, verbose: number): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.result as ModuleResult)) {
    if (INTERNAL.has(k) || k === 'failed' || v === undefined || (k === 'diff' && verbose < 3)) continue;
    r[k] = v;
  }
  r.changed = o.status === 'changed' || (o.status === 'failed' && o.result.changed === true);
  if (o.status === 'unreachable') r.unreachable = true;
  return r;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const escapeLines = (s: string): string => s.replace(/\n/g, '\\n').replace(/\r/g, '\\r');

export class AdhocReporter implements Reporter {
  private readonly color: boolean;

  constructor(private readonly opts: AdhocReporterOptions) {
    this.color = streamWantsColor(opts.out);
  }

  onEvent(e: RunEvent): void {
    if (e.type === 'host_result') this.write(this.lines(e.host, e.task.module, e.outcome));
    else if (e.type === 'run_end' && this.opts.recap) {
      const hosts = Object.keys(e.stats).sort();
      this.write(['', 'PLAY RECAP '.padEnd(79, '*'), ...hosts.map((h) => formatRecapLine(h, e.stats[h]!, this.color)), '']);
    }
  }

  private lines(host: string, module: string, o: HostResult): string[] {
    const r = o.result as ModuleResult;
    const pre = this.opts.diff ? diffLines(r.diff, this.color) : [];
    const colored = (text: string, code: ColorCode) => [...pre, stringc(text, code, this.color)];
    if (o.status === 'skipped') return colored(`${host} | SKIPPED`, COLOR.skip);
    if (o.status === 'unreachable') {
      const text = this.opts.oneLine ? `${host} | UNREACHABLE!: ${str(r.msg)}` : `${host} | UNREACHABLE! => ${this.json(o)}`;
      return colored(text, COLOR.unreachable);
    }
    const failed = o.status === 'failed';
    const state = failed ? 'FAILED' : o.status === 'changed' ? 'CHANGED' : 'SUCCESS';
    const code = failed ? COLOR.error : o.status === 'changed' ? COLOR.changed : COLOR.ok;
    // The oneline callback prints a failed command as JSON too (ansible 2.14, checked in test/integration/adhoc.test.ts).
    const asText = TEXT_MODULES.has(module) && typeof r.rc === 'number' && !(failed && this.opts.oneLine);
    if (asText) return colored(this.commandText(host, state, r), code);
    return colored(`${host} | ${failed ? 'FAILED!' : state} => ${this.json(o)}`, code);
  }

  /** Ansible's _command_generic_msg: stdout, stderr and msg run together, as it prints them. */
  private commandText(host: string, state: string, r: ModuleResult): string {
    const rc = typeof r.rc === 'number' ? r.rc : -1;
    if (!this.opts.oneLine) return `${host} | ${state} | rc=${rc} >>\n${str(r.stdout)}${str(r.stderr)}${str(r.msg)}`;
    const stderr = str(r.stderr);
    return `${host} | ${state} | rc=${rc} | (stdout) ${escapeLines(str(r.stdout))}${stderr ? ` (stderr) ${escapeLines(stderr)}` : ''}`;
  }

  private json(o: HostResult): string {
    const value = sortedDeep(dumped(o, this.opts.verbose));
    if (!this.opts.oneLine) return JSON.stringify(value, null, 4);
    // Python's json.dumps(indent=0) with its line breaks removed: `{"changed": false,"ping": "pong"}`
    // (JSON text holds no raw line break inside a string, so removing them touches no value).
    return JSON.stringify(value, null, 1).replace(/\n */g, '');
  }

  private write(lines: string[]): void {
    this.opts.out.write(lines.map((l) => `${l}\n`).join(''));
  }

  close(): Promise<void> {
    return flushStream(this.opts.out);
  }
}
