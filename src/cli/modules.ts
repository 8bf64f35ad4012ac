import type { Command } from 'commander';
import { displayPath } from '../load/yaml.js';

/** `fabric modules [PLAYBOOK...]`: the modules a task may name: fabric's, then the playbooks' library/ ones (ansible-doc -l). */
export function registerModulesCommand(program: Command): void {
  program
    .command('modules')
    .description("list the modules tasks can use: fabric's and those in the playbooks' library/ folders (and their roles')")
    .argument('[playbooks...]', 'playbooks whose library/ folders to include (default playbooks/site.yml)')
    .action(async (playbooks: string[]) => {
      const { resolvePlaybook } = await import('./play.js');
      const { moduleNames } = await import('../modules/index.js');
      const { libraryModulesFor } = await import('../plan/index.js');
      const own = await libraryModulesFor((playbooks.length ? playbooks : ['playbooks/site.yml']).map(resolvePlaybook));
      const lines = [...moduleNames().map((n) => `${n}\tbuilt in`), ...own.map((m) => `${m.def.name}\t${displayPath(m.file)}`)];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
