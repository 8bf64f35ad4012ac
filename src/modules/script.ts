import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { INLINE_WRITE_MAX, printfWrite } from './lib/atomic.js';
import { guardFacts, guardProperties, runGuardedCommand, type CommandGuards } from './lib/command-run.js';
import { known } from './lib/file-args.js';
import { splitWords } from './lib/shell-words.js';
import { defineModule } from './types.js';

export interface ScriptArgs extends CommandGuards {
  cmd: string;
  executable?: string;
}

/** The script (looked up in files/, as Ansible does) and its arguments, as words. */
function scriptWords(cmd: string): [string, string[]] {
  let words: string[];
  try {
    words = splitWords(cmd);
  } catch (e) {
    throw new InputError(`script: ${(e as Error).message} in ${JSON.stringify(cmd)}`);
  }
  if (!words.length) throw new InputError('script: name the script to run');
  return [words[0]!, words.slice(1)];
}

/**
 * ansible.builtin.script: a script on the controller, run on the host with its arguments. It
 * travels inside the task's one round trip (written to a private temp file, run, removed), so
 * it is limited to 96 KiB. Changed when it ran; creates/removes guard it like command.
 */
export default defineModule<ScriptArgs, ReturnType<typeof guardFacts>>({
  name: 'script',
  freeForm: 'cmd',
  arbitraryCommand: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['cmd'],
    properties: {
      cmd: { type: 'string', minLength: 1, description: "The script's path (in files/, or relative to the playbook) and its arguments." },
      executable: { type: 'string', minLength: 1, description: 'Program to run the script with, e.g. /bin/bash or python3 (default: the script runs itself, by its #! line).' },
      ...guardProperties,
    },
  },
  validate(a, ctx) {
    if (!known(a.cmd)) return;
    const file = ctx.resolveFile('files', scriptWords(a.cmd)[0]);
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError(`script: ${scriptWords(a.cmd)[0]} is a directory`);
    if (st.size > INLINE_WRITE_MAX) throw new InputError(`script: ${scriptWords(a.cmd)[0]} is ${st.size} bytes; scripts are sent inline, up to ${INLINE_WRITE_MAX}`);
  },
  facts: (a) => guardFacts(a),
  async run(a, ctx, guards) {
    const [name, argv] = scriptWords(a.cmd);
    const content = readFileSync(ctx.resolveFile('files', name));
    if (content.length > INLINE_WRITE_MAX) throw new InputError(`script: ${name} is ${content.length} bytes; scripts are sent inline, up to ${INLINE_WRITE_MAX}`);
    const tmp = `/tmp/.fabric-script-${randomBytes(8).toString('hex')}`;
    const run = [...(a.executable ? [quote(a.executable)] : []), quote(tmp), ...argv.map(quote)].join(' ');
    // Written 0700 in /tmp under a name nobody can guess, removed whatever the script does.
    const text = `(set -e; umask 077\n${printfWrite(content, tmp)}\n) && chmod 700 ${quote(tmp)} && { ${run}; rc=$?; rm -f ${quote(tmp)}; exit $rc; }`;
    return runGuardedCommand(ctx, guards, text, a.cmd, a);
  },
});
