import { Command, CommanderError } from 'commander';
import { EXIT, InputError, InputErrors } from '../errors.js';
import { maskProcessOutput } from './output-mask.js';
import { printInputErrors } from './output.js';

const VERSION = '0.1.0';

/** Builds the CLI; subcommands import their implementation lazily so `--help` and start-up stay fast. */
export function buildProgram(): Command {
  const program = new Command('fabric')
    .description('Ansible-style playbook runner over persistent SSH')
    .version(VERSION, '--version')
    .exitOverride()
    .showHelpAfterError();
  return program;
}

/** Which command modules register each top-level command: only those load for a run. */
const REGISTRARS = {
  play: async (p: Command) => (await import('./play.js')).registerPlayCommands(p),
  inventory: async (p: Command) => (await import('./inventory.js')).registerInventoryCommands(p),
  lab: async (p: Command) => (await import('./lab.js')).registerLabCommands(p),
  disconnect: async (p: Command) => (await import('./disconnect.js')).registerDisconnectCommand(p),
  modules: async (p: Command) => (await import('./modules.js')).registerModulesCommand(p),
  adhoc: async (p: Command) => (await import('./adhoc.js')).registerAdhocCommands(p),
  vault: async (p: Command) => (await import('./vault.js')).registerVaultCommands(p),
  planapply: async (p: Command) => (await import('./plan.js')).registerPlanCommands(p),
  runs: async (p: Command) => (await import('./runs.js')).registerRunsCommands(p),
} as const;
const OWNER = new Map<string, keyof typeof REGISTRARS>([
  ['play', 'play'],
  ['check', 'play'],
  ['inventory', 'inventory'],
  ['lab', 'lab'],
  ['disconnect', 'disconnect'],
  ['modules', 'modules'],
  ['run', 'adhoc'],
  ['facts', 'adhoc'],
  ['vault', 'vault'],
  ['plan', 'planapply'],
  ['apply', 'planapply'],
  ['runs', 'runs'],
]);

export async function main(argv: string[]): Promise<number> {
  maskProcessOutput();
  const program = buildProgram();
  // `fabric play` needs neither the inventory editor nor the lab: skip their imports (help lists everything).
  const owner = OWNER.get(argv[0] ?? '');
  if (owner) await REGISTRARS[owner](program);
  else for (const register of Object.values(REGISTRARS)) await register(program);
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; a usage mistake is bad input.
      code = e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    } else if (e instanceof InputError || e instanceof InputErrors) {
      code = printInputErrors(e);
    } else {
      process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`);
      code = EXIT.internal;
    }
  }
  return code;
}
