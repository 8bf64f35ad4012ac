import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { guardFacts, guardProperties, runGuardedCommand, type CommandGuards } from './lib/command-run.js';
import { splitWords } from './lib/shell-words.js';
import { defineModule } from './types.js';

export interface CommandArgs extends CommandGuards {
  cmd?: string;
  argv?: string[];
}

/** The argv a task means: `argv` as given, or `cmd` split like shlex (never parsed by a shell). */
export function commandArgv(args: CommandArgs): string[] {
  if (args.argv) return args.argv;
  return splitWords(args.cmd ?? '');
}

export default defineModule({
  name: 'command',
  freeForm: 'cmd',
  arbitraryCommand: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cmd: { type: 'string', minLength: 1, description: 'Command line, split into words (no shell: no pipes, $VARS or globs).' },
      argv: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'The command as a list of words.' },
      ...guardProperties,
    },
  },
  validate(args: CommandArgs) {
    if (args.cmd !== undefined && args.argv !== undefined) throw new InputError("command: give either 'cmd' or 'argv', not both");
    if (args.cmd === undefined && args.argv === undefined) throw new InputError("command: 'cmd' or 'argv' is required");
    let words: string[];
    try {
      words = commandArgv(args);
    } catch (e) {
      throw new InputError(`command: cannot split 'cmd': ${(e as Error).message}`);
    }
    if (words.length === 0) throw new InputError('command: the command is empty');
  },
  facts: (args: CommandArgs) => guardFacts(args),
  async run(args, ctx, guards) {
    const argv = commandArgv(args);
    // `exec` keeps the word list a plain argv: the first word is never a shell keyword or function.
    return runGuardedCommand(ctx, guards, `exec ${shellJoin(argv)}`, args.cmd ?? shellJoin(argv), args);
  },
});
