import { randomBytes } from 'node:crypto';
import { quote } from '../../quote.js';
import type { ModuleContext, ModuleResult } from '../types.js';
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
 * Runs `commandText` (already safe shell text) in one round trip: chdir, the creates/removes
 * test, then the command. A skip is reported by a random marker the command cannot guess.
 * Without chdir the guards are tested by the session shell itself and only the command gets a
 * subshell, so a skipped command (the no-op rerun) costs no fork at all.
 */
export async function runGuardedCommand(
  ctx: ModuleContext,
  commandText: string,
  display: string,
  g: CommandGuards,
): Promise<ModuleResult> {
  const skip = `__fabric_skip_${randomBytes(8).toString('hex')}`;
  // Each guard: [test, what to print when it says skip].
  const guards: [string, string][] = [];
  if (g.creates) guards.push([existsTest(g.creates), `printf '%s creates\\n' ${skip}`]);
  if (g.removes) guards.push([`! ${existsTest(g.removes)}`, `printf '%s removes\\n' ${skip}`]);
  const command =
    g.stdin === undefined ? commandText : `printf '%s' ${quote(g.stdin + (g.stdin_add_newline === false ? '' : '\n'))} | ${commandText}`;
  const skipped = (res: { stdout: string }) => res.stdout.startsWith(skip);
  let r;
  if (guards.length && !g.chdir) {
    const tests = guards.map(([test, say], i) => `${i ? 'elif' : 'if'} ${test}; then ${say}`);
    // A skip changed nothing: what the run read ahead stays valid.
    r = await ctx.exec(`${tests.join('\n')}\nelse (\n${command}\n)\nfi`, { inline: true, unchangedIf: skipped });
  } else {
    // Relative creates/removes are relative to chdir, as in Ansible: test them after the cd.
    const lines = g.chdir ? [`cd -- ${quote(g.chdir)} || exit 1`] : [];
    for (const [test, say] of guards) lines.push(`if ${test}; then ${say}; exit 0; fi`);
    r = await ctx.exec([...lines, command].join('\n'), { unchangedIf: skipped });
  }
  const first = r.stdout.split('\n', 1)[0] ?? '';
  if (first.startsWith(skip)) {
    const which = first.slice(skip.length + 1);
    const msg = which === 'creates' ? `skipped, since ${g.creates} exists` : `skipped, since ${g.removes} does not exist`;
    return { changed: false, msg, rc: 0, stdout: msg, stderr: '', stdout_lines: [msg], stderr_lines: [], cmd: display };
  }
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
  };
  if (r.rc !== 0) {
    res.failed = true;
    res.msg = r.rc === 127 ? `command not found (rc 127): ${display}` : 'non-zero return code';
  }
  return res;
}

export const guardProperties = {
  creates: { type: 'string', minLength: 1, description: 'Skip when this path (glob allowed) exists.' },
  removes: { type: 'string', minLength: 1, description: 'Run only when this path (glob allowed) exists.' },
  chdir: { type: 'string', minLength: 1, description: 'Change into this directory first.' },
  stdin: { type: 'string', description: 'Text fed to the command on standard input.' },
  stdin_add_newline: { type: 'boolean', description: 'Append a newline to stdin (default true).' },
} as const;
