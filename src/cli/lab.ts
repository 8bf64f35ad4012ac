import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError, InputErrors } from '../errors.js';
import { parseLinks } from '../lab/links.js';
import { printInputErrors } from './output.js';
import { labDown, labExec, labSshArgv, labStatus, labUp, type LabOptions } from '../lab/index.js';

interface LabFlags {
  name?: string;
  topology?: string;
  hosts?: string;
  repo?: string;
  delay?: string[];
  loss?: string[];
}

const collectFlag = (v: string, prev: string[] = []) => [...prev, v];

function labOpts(flags: LabFlags): LabOptions {
  const hosts = flags.hosts === undefined ? undefined : Number(flags.hosts);
  return {
    repoRoot: resolve(flags.repo ?? process.cwd()),
    name: flags.name,
    topologyFile: flags.topology ? resolve(flags.topology) : undefined,
    hosts,
    links: parseLinks(flags.delay, flags.loss),
  };
}

/** Prints the error and sets the exit code (5 for bad input, 1 otherwise). */
function fail(e: unknown): void {
  if (e instanceof InputError || e instanceof InputErrors) {
    process.exitCode = printInputErrors(e); // with where and the hint (`use 2-8 lowercase letters ...`)
    return;
  }
  const err = e as Error & { exitCode?: number };
  process.stderr.write(`fabric lab: ${err.message}\n`);
  process.exitCode = err.exitCode ?? 1;
}

/** Pass-through keeps the `--` that separates the host from its command: drop it. */
function withoutDashes(argv: string[]): string[] {
  return argv[0] === '--' ? argv.slice(1) : argv;
}

function common(c: Command): Command {
  return c
    .option('--name <name>', 'lab name (default: fab; with --hosts: bench)')
    .option('--topology <file>', 'topology YAML file')
    .option('--hosts <n>', 'flat lab of N hosts h1..hN in group bench (up to 300)')
    .option('--repo <dir>', 'repository root holding .lab/ and inventory/ (default: current directory)');
}

export function registerLabCommands(program: Command): void {
  // Positional options so `lab exec HOST CMD --flag` hands --flag to CMD (passThroughOptions below).
  const lab = program.command('lab').description('real test hosts in network namespaces on this machine').enablePositionalOptions();

  common(lab.command('up').description('bring the lab up and write its inventory'))
    .option('--delay <rtt>', "round-trip time added on the controller's path to every host (20ms), or to one (w1=50ms); repeatable", collectFlag)
    .option('--loss <pct>', 'share of segments lost on that path (1%), or for one host (w1=5%); repeatable', collectFlag)
    .action(async (flags: LabFlags) => {
    try {
      const started = Date.now();
      const info = await labUp(labOpts(flags), (l) => process.stderr.write(`${l}\n`));
      for (const h of info.hosts) process.stdout.write(`${h.name.padEnd(12)} ${h.address.padEnd(15)} ${h.groups.join(',')}\n`);
      process.stdout.write(`inventory: ${info.inventoryPath}\n${info.reused ? 'already up' : `up in ${((Date.now() - started) / 1000).toFixed(1)} s`}\n`);
    } catch (e) {
      fail(e);
    }
  });

  common(lab.command('down').description('remove every namespace, process, mount and file of the lab')).action(async (flags: LabFlags) => {
    try {
      const started = Date.now();
      const r = await labDown(labOpts(flags));
      process.stdout.write(
        `removed ${r.namespaces.length} namespaces, killed ${r.killed} processes, ${r.unmounted} mounts${r.removedDir ? ', state dir' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    } catch (e) {
      fail(e);
    }
  });

  common(lab.command('status').description('hosts, up/down, sshd reachable')).action(async (flags: LabFlags) => {
    try {
      const s = await labStatus(labOpts(flags));
      for (const h of s.hosts) {
        process.stdout.write(`${h.name.padEnd(12)} ${h.address.padEnd(15)} ${(h.running ? 'up' : 'down').padEnd(5)} sshd ${h.sshd ? 'reachable' : 'unreachable'}\n`);
      }
      process.stdout.write(`lab ${s.name}: ${s.up ? 'up' : 'down'}\n`);
      if (!s.up) process.exitCode = 1;
    } catch (e) {
      fail(e);
    }
  });

  common(lab.command('exec').description('run a command inside a lab host; exits with its code'))
    .argument('<host>')
    .argument('<cmd...>')
    .passThroughOptions()
    .action(async (host: string, cmd: string[], flags: LabFlags) => {
      try {
        process.exitCode = await labExec(host, withoutDashes(cmd), labOpts(flags));
      } catch (e) {
        fail(e);
      }
    });

  common(lab.command('ssh').description('interactive OpenSSH session to a lab host'))
    .argument('<host>')
    .argument('[args...]', 'passed to ssh after the options (e.g. a remote command)')
    .passThroughOptions()
    .action(async (host: string, args: string[], flags: LabFlags) => {
      try {
        const [cmd, ...rest] = await labSshArgv(host, labOpts(flags));
        const addr = rest.pop()!;
        const child = spawn(cmd!, [...rest, addr, ...withoutDashes(args)], { stdio: 'inherit' });
        process.exitCode = await new Promise<number>((res, rej) => {
          child.on('error', rej);
          child.on('close', (code) => res(code ?? 255));
        });
      } catch (e) {
        fail(e);
      }
    });
}
