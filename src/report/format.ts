import type { TaskInfo } from '../run/events.js';

export const NO_LOG = '(output hidden: no_log)';

/** Ansible's Display.banner: the message, a space, stars to the width (3 at least). */
export function banner(msg: string, columns = 79): string {
  const text = msg.trim();
  return `${text} ${'*'.repeat(Math.max(3, columns - text.length))}`;
}

/** `role : name`, the way Ansible names a role's task in banners. */
export function taskLabel(task: TaskInfo): string {
  return task.role ? `${task.role} : ${task.name}` : task.name;
}

export function taskBanner(task: TaskInfo, columns?: number): string {
  return banner(`${task.handler ? 'RUNNING HANDLER' : 'TASK'} [${taskLabel(task)}]`, columns);
}

export function playBanner(name: string, columns?: number): string {
  return banner(name.trim() ? `PLAY [${name.trim()}]` : 'PLAY', columns);
}

/** Ansible's line for an attempt that until/retries will repeat. */
export function retryLine(host: string, task: TaskInfo, left: number): string {
  return `FAILED - RETRYING: [${host}]: ${taskLabel(task)} (${left} ${left === 1 ? 'retry' : 'retries'} left).`;
}

/** Ansible's banner when a failure limit ends the playbook, and why. */
export function stoppedLines(reason: string, columns?: number): string[] {
  return [banner('NO MORE HOSTS LEFT', columns), `stopped: ${reason}`];
}

/** A loop item as Ansible prints it after `item=`: strings bare, anything else as JSON. */
export function itemLabel(item: unknown): string {
  if (typeof item === 'string') return item;
  try {
    return JSON.stringify(item) ?? String(item);
  } catch {
    return String(item); // circular values: still show something
  }
}

/** `[w1]` or `[w1 -> cp1]` when delegated. */
export function hostTag(host: string, delegatedTo?: string): string {
  return delegatedTo && delegatedTo !== host ? `[${host} -> ${delegatedTo}]` : `[${host}]`;
}

/** 0.4s, 12.3s, 2m05s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = String(totalSeconds % 60).padStart(2, '0');
  return h ? `${h}h${String(m).padStart(2, '0')}m${s}s` : `${m}m${s}s`;
}

const MAX_BLOCK_LINES = 20;

/** Splits output into lines without the trailing empty one. */
export function textLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `    label: text` for one line, or the label then indented lines for more; long output keeps its first
 * lines so a failing command's error stays on screen.
 */
export function labelledBlock(label: string, text: string, indent = '    ', maxLines = MAX_BLOCK_LINES): string[] {
  const lines = textLines(text);
  if (lines.length === 0) return [];
  if (lines.length === 1) return [`${indent}${label}: ${lines[0]}`];
  const shown = lines.slice(0, maxLines).map((l) => `${indent}  ${l}`);
  if (lines.length > maxLines) shown.push(`${indent}  ... (${lines.length - maxLines} more lines)`);
  return [`${indent}${label}:`, ...shown];
}

/** The lines after a headline (`failed: [w1] => first line`), indented under it and capped. */
export function continuationLines(lines: string[], indent = '    ', maxLines = MAX_BLOCK_LINES): string[] {
  const shown = lines.slice(0, maxLines).map((l) => `${indent}${l}`);
  if (lines.length > maxLines) shown.push(`${indent}... (${lines.length - maxLines} more lines)`);
  return shown;
}
