import type { HostStats, RunEvent, TaskInfo } from '../run/events.js';
import { COLOR, type ColorCode, stringc } from './ansi.js';
import { banner, formatDuration, taskLabel } from './format.js';

const HOST_WIDTH = 26;

function pad(visible: string, text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visible.length));
}

/** Ansible's colorize: `lead=%-4s`, coloured only when the number is not 0. */
function colorize(lead: string, n: number, code: ColorCode, color: boolean): string {
  const s = `${lead}=${String(n).padEnd(4)}`;
  return n !== 0 ? stringc(s, code, color) : s;
}

/** Ansible's hostcolor: `%-26s`; red when something failed, yellow when something changed, else green. */
function hostcolor(host: string, s: HostStats, color: boolean): string {
  const code = s.failed !== 0 || s.unreachable !== 0 ? COLOR.error : s.changed !== 0 ? COLOR.changed : COLOR.ok;
  return pad(host, stringc(host, code, color), HOST_WIDTH);
}

/**
 * One PLAY RECAP line, byte for byte what Ansible's default callback prints (v2_playbook_on_stats),
 * trailing padding included, so existing greps and log parsers keep working.
 */
export function formatRecapLine(host: string, s: HostStats, color = false): string {
  return [
    `${hostcolor(host, s, color)} :`,
    colorize('ok', s.ok, COLOR.ok, color),
    colorize('changed', s.changed, COLOR.changed, color),
    colorize('unreachable', s.unreachable, COLOR.unreachable, color),
    colorize('failed', s.failed, COLOR.error, color),
    colorize('skipped', s.skipped, COLOR.skip, color),
    colorize('rescued', s.rescued, COLOR.ok, color),
    colorize('ignored', s.ignored, COLOR.warn, color),
  ].join(' ');
}

interface Change {
  task: TaskInfo;
  host: string;
  itemsChanged?: number;
  itemsTotal?: number;
  durationMs: number;
}

/** What the recap needs beyond the executor's stats: what changed where, and the run's length. */
export class RunSummary {
  /** In the order the changes happened. */
  private readonly changes: Change[] = [];
  private startedAt?: number;
  private endedAt?: number;

  constructor(private readonly now: () => number = Date.now) {}

  onEvent(e: RunEvent): void {
    this.startedAt ??= this.now();
    if (e.type === 'run_end') this.endedAt = this.now();
    if (e.type !== 'host_result') return;
    const items = Array.isArray(e.outcome.items) ? e.outcome.items : undefined;
    const itemsChanged = items?.filter((it) => it.status === 'changed').length;
    if (e.outcome.status !== 'changed' && !itemsChanged) return;
    this.changes.push({ task: e.task, host: e.host, itemsChanged, itemsTotal: items?.length, durationMs: e.outcome.durationMs });
  }

  /** The tasks that changed something, first change first, each with its hosts (sorted). */
  changedByTask(): { task: TaskInfo; hosts: Change[] }[] {
    const byTask = new Map<TaskInfo, Change[]>();
    for (const c of this.changes) byTask.set(c.task, [...(byTask.get(c.task) ?? []), c]);
    return [...byTask].map(([task, hosts]) => ({ task, hosts: hosts.sort((a, b) => a.host.localeCompare(b.host)) }));
  }

  elapsedMs(): number {
    if (this.startedAt === undefined) return 0;
    return (this.endedAt ?? this.now()) - this.startedAt;
  }
}

function changeText(c: Change): string {
  const extras: string[] = [];
  if (c.itemsTotal !== undefined) extras.push(`${c.itemsChanged ?? 0}/${c.itemsTotal} items`);
  extras.push(formatDuration(c.durationMs));
  return `${c.host} (${extras.join(', ')})`;
}

export interface RecapOptions {
  color: boolean;
  columns: number;
}

type RunEnd = Extract<RunEvent, { type: 'run_end' }>;

/**
 * PLAY RECAP exactly as Ansible prints it, then fabric's CHANGED section (which tasks changed which
 * hosts, with loop item counts: ansible#14373, #33640) and the total duration.
 */
export function recapLines(e: RunEnd, summary: RunSummary, opts: RecapOptions): string[] {
  const lines: string[] = [];
  if (e.interrupted) lines.push(stringc('interrupted: recap so far', COLOR.warn, opts.color), '');
  lines.push(banner('PLAY RECAP', opts.columns));
  const hosts = Object.keys(e.stats).sort();
  for (const host of hosts) lines.push(formatRecapLine(host, e.stats[host]!, opts.color));
  // Grouped by task, hosts indented under it: no line has the recap's `host : ` shape, so a grep
  // for a host's recap line finds only that line.
  lines.push('', banner('CHANGED', opts.columns));
  const changed = summary.changedByTask();
  if (changed.length === 0) lines.push('no host changed');
  for (const { task, hosts } of changed) {
    lines.push(`- ${taskLabel(task)}${task.handler ? ' (handler)' : ''}: ${hosts.length} host${hosts.length === 1 ? '' : 's'}`);
    for (const c of hosts) lines.push(`    ${stringc(changeText(c), COLOR.changed, opts.color)}`);
  }
  lines.push('', `total duration: ${formatDuration(summary.elapsedMs())}`);
  return lines;
}
