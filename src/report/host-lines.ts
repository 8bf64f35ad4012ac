import type { HostResult, HostStatus, TaskInfo } from '../run/events.js';
import type { ModuleResult } from '../modules/types.js';
import { COLOR, type ColorCode, stringc } from './ansi.js';
import { diffLines } from './diff.js';
import { NO_LOG, continuationLines, hostTag, itemLabel, labelledBlock, textLines } from './format.js';

export interface LineOptions {
  verbose: number;
  diff: boolean;
  color: boolean;
}

/** Ansible's words: `skipping:` for skipped; fabric says `failed:`/`unreachable:` plainly (greppable). */
export const STATUS_WORD: Record<HostStatus, string> = {
  ok: 'ok',
  changed: 'changed',
  skipped: 'skipping',
  failed: 'failed',
  unreachable: 'unreachable',
};

export const STATUS_COLOR: Record<HostStatus, ColorCode> = {
  ok: COLOR.ok,
  changed: COLOR.changed,
  skipped: COLOR.skip,
  failed: COLOR.error,
  unreachable: COLOR.unreachable,
};

const FAILURE_LINES = 10;

function isFailure(status: HostStatus): boolean {
  return status === 'failed' || status === 'unreachable';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Rendered output of one result: the `=> headline` and the indented block under it. */
interface ResultText {
  headline?: string;
  block: string[];
}

/** debug's `var:` result ({ "name": value }) shown as Ansible shows it: the variable as JSON. */
function debugVar(r: ModuleResult): string | undefined {
  const shown = Object.entries(r).filter(([k]) => !['changed', 'failed', 'skipped', 'msg'].includes(k));
  return shown.length ? JSON.stringify(Object.fromEntries(shown), null, 4) : undefined;
}

function resultText(task: TaskInfo, status: HostStatus, r: ModuleResult, opts: LineOptions): ResultText {
  const msg = str(r.msg) ?? (task.module === 'debug' ? debugVar(r) : undefined);
  const stdout = str(r.stdout);
  const stderr = str(r.stderr);
  if (isFailure(status)) {
    const fromStderr = msg === undefined && stderr !== undefined;
    const headSource = msg ?? stderr ?? (typeof r.rc === 'number' ? `rc=${r.rc}` : status);
    const [headline = status, ...rest] = textLines(headSource);
    const block: string[] = [];
    if (rest.length) block.push(...continuationLines(rest, '    ', FAILURE_LINES));
    if (typeof r.rc === 'number' && (msg !== undefined || stderr !== undefined)) block.push(`    rc: ${r.rc}`);
    if (stderr && !fromStderr) block.push(...labelledBlock('stderr', stderr, '    ', FAILURE_LINES));
    // Commands such as kubeadm print their errors on stdout.
    if (stdout) block.push(...labelledBlock('stdout', stdout, '    ', FAILURE_LINES));
    return { headline, block };
  }
  // debug exists to show its message; Ansible shows it at every verbosity too.
  const showMsg = msg !== undefined && (opts.verbose >= 1 || task.module === 'debug');
  const block: string[] = [];
  let headline: string | undefined;
  if (showMsg) {
    const [first, ...rest] = textLines(msg);
    headline = first;
    if (rest.length) block.push(...continuationLines(rest));
  }
  if (opts.verbose >= 1 && stdout) block.push(...labelledBlock('stdout', stdout));
  if (opts.verbose >= 2 && stderr) block.push(...labelledBlock('stderr', stderr));
  if (opts.verbose >= 2 && typeof r.rc === 'number') block.push(`    rc: ${r.rc}`);
  return { headline, block };
}

function statusLine(status: HostStatus, tag: string, parts: (string | undefined)[], color: boolean): string {
  const tail = parts.filter((p): p is string => p !== undefined && p !== '');
  const line = `${STATUS_WORD[status]}: ${tag}${tail.length ? ` => ${tail.join(' => ')}` : ''}`;
  return stringc(line, STATUS_COLOR[status], color);
}

export interface HostLines {
  lines: string[];
  /** Something beyond bare status lines: a message, output, a diff; the live view prints those. */
  hasDetail: boolean;
}

/** One host's result for one task, as plain lines (`changed: [w1] => (item=foo)`, diffs, failure details). */
export function hostResultLines(task: TaskInfo, host: string, o: HostResult, opts: LineOptions): HostLines {
  const tag = hostTag(host, o.delegatedTo);
  const items = Array.isArray(o.items) ? o.items : [];
  const lines: string[] = [];
  let hasDetail = false;
  const emit = (status: HostStatus, r: ModuleResult, item: { value: unknown } | undefined): void => {
    const text = resultText(task, status, r ?? { changed: false }, opts);
    const diff = opts.diff ? diffLines(r?.diff, opts.color) : [];
    // no_log: the result is only measured (would it say something?), never printed.
    if (text.headline !== undefined || text.block.length || diff.length) hasDetail = true;
    if (task.noLog) {
      lines.push(statusLine(status, tag, [NO_LOG], opts.color));
      return;
    }
    const itemPart = item ? `(item=${itemLabel(item.value)})` : undefined;
    lines.push(statusLine(status, tag, [itemPart, text.headline], opts.color));
    const blockColor = isFailure(status) && opts.color;
    lines.push(...text.block.map((l) => stringc(l, COLOR.error, blockColor)), ...diff);
  };
  for (const it of items) emit(it.status, it.result, { value: it.label ?? it.item });
  // The host's own line, unless its items already tell its status (Ansible prints only item lines then).
  const told = items.length > 0 && (!isFailure(o.status) || items.some((it) => it.status === o.status));
  if (!told) emit(o.status, o.result, undefined);
  if (o.ignored) lines.push(stringc('...ignoring', COLOR.skip, opts.color));
  return { lines, hasDetail };
}
