import { quote } from '../../quote.js';
import type { ExecResult } from '../../connection/types.js';
import { C_LOCALE, probeFileScript, type ProbeOptions } from './file-state.js';

/**
 * The common probes as data as well as script text. A module sends probeScript(spec) with the
 * spec attached (ExecOptions.probe); run alone, the script is what answers. When the executor
 * reads a host's probes ahead in one batch, it runs the specs merged instead (probe-merge.ts):
 * one stat and one head for all of them, and rebuilds each probe's exact output, so the module
 * cannot tell the difference.
 */
export type ProbeSpec = FileProbe | SysctlProbe;

/** probeFileScript(path, opts); with parent, `no-parent` when that directory is missing (copy, template). */
export interface FileProbe {
  kind: 'file';
  path: string;
  opts: Pick<ProbeOptions, 'content' | 'maxContentBytes' | 'follow' | 'checksum'>;
  parent?: string;
}

/** A sysctl's live value (/proc/sys) and the text of the file it is persisted in. */
export interface SysctlProbe {
  kind: 'sysctl';
  proc: string;
  file: string;
}

/** The script that answers spec on its own: the reference the merged form must equal. */
export function probeScript(spec: ProbeSpec): string {
  if (spec.kind === 'sysctl') {
    // Not the shell's `read`: it reads a byte at a time, and /proc/sys answers only a whole-file read.
    const proc = quote(spec.proc);
    const file = quote(spec.file);
    return [
      `if [ -r ${proc} ]; then printf 'live:%s\\n' "$(${C_LOCALE} tr '\\t\\n' '  ' < ${proc})"; else echo nolive; fi`,
      `if [ -f ${file} ]; then echo file; ${C_LOCALE} base64 < ${file}; else echo nofile; fi`,
    ].join('\n');
  }
  const probe = probeFileScript(spec.path, spec.opts);
  return spec.parent === undefined ? probe : `if [ ! -d ${quote(spec.parent)} ]; then echo no-parent; else\n${probe}\nfi`;
}

/** Sends spec's probe: one round trip, or none when the executor read it ahead. */
export function probeExec(ctx: { exec(script: string, opts: { inline: true; probe: ProbeSpec }): Promise<ExecResult> }, spec: ProbeSpec): Promise<ExecResult> {
  return ctx.exec(probeScript(spec), { inline: true, probe: spec });
}
