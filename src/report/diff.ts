import type * as JsDiff from 'diff';
import type { FileDiff } from '../modules/types.js';
import { COLOR, stringc } from './ansi.js';

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

let jsdiff: typeof JsDiff | undefined;

/** Loads jsdiff; createReporter calls it for a run that prints diffs (--diff), before any result. */
export async function loadDiffRenderer(): Promise<void> {
  jsdiff ??= await import('diff');
}

/** jsdiff starts with `Index:` and `====` lines that `diff -u` and Ansible do not print. */
function patchLines(oldName: string, newName: string, before: string, after: string): string[] {
  if (!jsdiff) throw new Error('internal: loadDiffRenderer() was not awaited before rendering a diff');
  const lines = jsdiff.createTwoFilesPatch(oldName, newName, before, after).split('\n');
  const start = lines.findIndex((l) => l.startsWith('--- '));
  const body = start >= 0 ? lines.slice(start) : lines;
  if (body.length && body[body.length - 1] === '') body.pop();
  return body;
}

/**
 * Unified diff lines for one entry: files get their path in both headers; other state (a live sysctl,
 * a service) gets `--- before` / `+++ after` and compares values line by line.
 */
export function diffEntryLines(d: FileDiff): string[] {
  if (d.before === undefined && d.after === undefined) return [];
  const before = d.before ?? '';
  const after = d.after ?? '';
  if (before === after) return [];
  if (d.path) return patchLines(d.path, d.path, before, after);
  return patchLines('before', 'after', withNewline(before), withNewline(after));
}

export function colorDiffLine(line: string, color: boolean): string {
  if (!color) return line;
  if (line.startsWith('+++') || line.startsWith('---')) return line;
  if (line.startsWith('+')) return stringc(line, COLOR.ok, true);
  if (line.startsWith('-')) return stringc(line, COLOR.error, true);
  if (line.startsWith('@@')) return stringc(line, COLOR.skip, true);
  return line;
}

export function diffLines(diffs: FileDiff[] | undefined, color: boolean): string[] {
  if (!Array.isArray(diffs)) return [];
  return diffs.flatMap((d) => diffEntryLines(d)).map((l) => colorDiffLine(l, color));
}
