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
 */
export async function runGuardedCommand(
  ctx: ModuleContext,
  commandText: string,
  display: string,
  g: CommandGuards,
): Promise<ModuleResult> {
  const skip = `__fabric_skip_${randomBytes(8).toString('hex')}`;
  const lines: string[] = [];
  if (g.chdir) lines.push(`cd -- ${quote(g.chdir)} || exit 1`);
  // Relative creates/removes are relative to chdir, as in Ansible.
  if (g.creates) lines.push(`if ${existsTest(g.creates)}; then printf '%s creates\\n' ${skip}; exit 0; fi`);
  if (g.removes) lines.push(`if ! ${existsTest(g.removes)}; then printf '%s removes\\n' ${skip}; exit 0; fi`);
  if (g.stdin !== undefined) {
    const data = g.stdin + (g.stdin_add_newline === false ? '' : '\n');
    lines.push(`printf '%s' ${quote(data)} | ${commandText}`);
  } else {
    lines.push(commandText);
  }
  const r = await ctx.exec(lines.join('\n'));
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
