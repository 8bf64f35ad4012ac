import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { quote } from '../../quote.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import { existsFact, type ExistsFact, type FactValues } from './facts.js';
import { existsTest } from './shell-words.js';

export interface CommandGuards {
  creates?: string;
  removes?: string;
  chdir?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
}

/** Ansible strips one trailing newline run from command output. */
function trimEnd(s: string): string {
  return s.replace(/\n+$/, '');
}

/**
 * creates/removes as ahead-only facts: read ahead with the section's other facts, a command its
 * guard skips (the no-op rerun) costs no round trip; not read ahead, the guard is tested in the
 * command's own round trip, so a lone guarded command costs one either way. A relative path is
 * relative to chdir, as in Ansible.
 */
export function guardFacts(g: CommandGuards): { creates?: ExistsFact; removes?: ExistsFact } {
  const at = (p: string) => existsFact(g.chdir && !p.startsWith('/') ? posix.join(g.chdir, p) : p, { aheadOnly: true });
  return { creates: g.creates ? at(g.creates) : undefined, removes: g.removes ? at(g.removes) : undefined };
}

const skipMsg = (g: CommandGuards, which: 'creates' | 'removes') =>
  which === 'creates' ? `skipped, since ${g.creates} exists` : `skipped, since ${g.removes} does not exist`;

/**
 * Runs `commandText` (already safe shell text) in one round trip, after chdir, unless its guards
 * say skip: from the facts read ahead, or (not read ahead) tested first in that same round trip.
 */
export async function runGuardedCommand(
  ctx: ModuleContext,
  guards: FactValues<ReturnType<typeof guardFacts>>,
  commandText: string,
  display: string,
  g: CommandGuards,
): Promise<ModuleResult> {
  // As Ansible's: a command that did not run has no start, end or delta.
  const skipped = (msg: string): ModuleResult => ({ changed: false, msg, rc: 0, stdout: msg, stderr: '', stdout_lines: [msg], stderr_lines: [], cmd: display, start: null, end: null, delta: null });
  if (guards.creates === true) return skipped(skipMsg(g, 'creates'));
  if (guards.removes === false) return skipped(skipMsg(g, 'removes'));
  // Guards not read ahead: the script tests them after chdir (a relative guard is relative to it)
  // and prints a marker no command output can guess instead of running the command.
  const marker = `__fabric_skip_${randomBytes(8).toString('hex')}`;
  const tests = [
    g.creates !== undefined && guards.creates === undefined ? `if ${existsTest(g.creates)}; then echo ${marker}creates; exit 0; fi` : '',
    g.removes !== undefined && guards.removes === undefined ? `if ! ${existsTest(g.removes)}; then echo ${marker}removes; exit 0; fi` : '',
  ].filter(Boolean);
  const command =
    g.stdin === undefined ? commandText : `printf '%s' ${quote(g.stdin + (g.stdin_add_newline === false ? '' : '\n'))} | ${commandText}`;
  const started = new Date();
  const r = await ctx.exec([g.chdir ? `cd -- ${quote(g.chdir)} || exit 1` : '', ...tests, command].filter(Boolean).join('\n'));
  const ended = new Date();
  const hit = r.rc === 0 && /^__fabric_skip_[0-9a-f]{16}(creates|removes)\n?$/.exec(r.stdout);
  if (hit && r.stdout.startsWith(marker)) return skipped(skipMsg(g, hit[1] as 'creates' | 'removes'));
  const stdout = trimEnd(r.stdout);
  const stderr = trimEnd(r.stderr);
  const res: ModuleResult = {
    changed: true,
    rc: r.rc,
    stdout,
    stderr,
    stdout_lines: stdout === '' ? [] : stdout.split('\n'),
    stderr_lines: stderr === '' ? [] : stderr.split('\n'),
    cmd: display,
    ...commandTimes(started, ended),
  };
  if (r.rc !== 0) {
    res.failed = true;
    res.msg = r.rc === 127 ? `command not found (rc 127): ${display}` : 'non-zero return code';
  }
  return res;
}

/**
 * Ansible's start, end (`2026-12-07 10:12:01.123000`, local time) and delta (`0:00:00.012000`).
 * Taken at the controller around the command's round trip: delta includes one RTT, and the
 * clock is the controller's, where Ansible's module reads the host's.
 */
export function commandTimes(started: Date, ended: Date): { start: string; end: string; delta: string } {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = (d: Date) => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
  const ms = Math.max(0, ended.getTime() - started.getTime());
  const s = Math.floor(ms / 1000);
  const delta = `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${p(ms % 1000, 3)}000`;
  return { start: stamp(started), end: stamp(ended), delta };
}

export const guardProperties = {
  creates: { type: 'string', minLength: 1, description: 'Skip when this path (glob allowed) exists.' },
  removes: { type: 'string', minLength: 1, description: 'Run only when this path (glob allowed) exists.' },
  chdir: { type: 'string', minLength: 1, description: 'Change into this directory first.' },
  stdin: { type: 'string', description: 'Text fed to the command on standard input.' },
  stdin_add_newline: { type: 'boolean', description: 'Append a newline to stdin (default true).' },
} as const;
