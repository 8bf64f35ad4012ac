import type { Command } from 'commander';

/** `fabric disconnect`: closes the SSH connections the holder keeps between runs (like `ssh -O exit`). */
export function registerDisconnectCommand(program: Command): void {
  program
    .command('disconnect')
    .description('close the SSH connections kept open between runs (fabric_ssh_persist); runs in progress keep theirs')
    .action(async () => {
      const { disconnectHolder } = await import('../connection/held.js');
      const n = await disconnectHolder();
      process.stdout.write(n ? `closed ${n} held connection${n === 1 ? '' : 's'}\n` : 'no held connections\n');
    });
}
