import { createHash } from 'node:crypto';
import type { ExecResult } from '../connection/types.js';
import type { FactSpec } from '../modules/lib/facts.js';

/** JSON with sorted keys and Buffers as base64: equal values give equal text, whatever built them. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return { $base64: Buffer.from((v as { data: number[] }).data).toString('base64') };
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The fingerprint of one fact as read: a script fact (a module's own read) by the script's output,
 * since its parser is the module's code and cannot be saved; every other kind by its typed value,
 * which the merged and the lone reads give alike. A file's mtime is left out: no module that
 * changes a host decides on it, and a file written back as it was is the state the plan saw.
 */
export function factPrint(spec: FactSpec, read: { value?: unknown; error?: Error; raw?: ExecResult }): string {
  if (read.error) return `error:${sha256(read.error.message)}`;
  if (spec.kind === 'script' && read.raw) return `raw:${sha256(stableJson([read.raw.rc, read.raw.stdout, read.raw.stderr]))}`;
  return `value:${sha256(stableJson(spec.kind === 'file' ? withoutMtime(read.value) : (read.value ?? null)))}`;
}

function withoutMtime(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v ?? null;
  const { mtime: _mtime, ...rest } = v as Record<string, unknown>;
  return rest;
}
