import { quote } from '../quote.js';
import { guardFacts, guardProperties, runGuardedCommand, type CommandGuards } from './lib/command-run.js';
import { defineModule } from './types.js';

export interface ShellArgs extends CommandGuards {
  cmd: string;
  executable?: string;
}

export default defineModule({
  name: 'shell',
  freeForm: 'cmd',
  arbitraryCommand: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['cmd'],
    properties: {
      cmd: { type: 'string', minLength: 1, description: 'Shell text, run by /bin/sh (or executable) with -c.' },
      executable: { type: 'string', minLength: 1, description: 'Shell to run cmd with, e.g. /bin/bash.' },
      ...guardProperties,
    },
  },
  facts: (args: ShellArgs) => guardFacts(args),
  async run(args, ctx, guards) {
    // The text is one quoted argument to `sh -c`: it is shell on purpose, but never re-parsed by our wrapper.
    const text = `${quote(args.executable ?? '/bin/sh')} -c ${quote(args.cmd)}`;
    return runGuardedCommand(ctx, guards, text, args.cmd, args);
  },
});
