import { spawn, type StdioOptions } from 'node:child_process';
import { LAB_ENV } from './host-files.js';
import { findHostInit } from './hosts.js';
import { exitCode, run, type RunResult } from './proc.js';
import type { Topology } from './topology.js';


/** nsenter argv that runs argv inside a host: its mount, PID, UTS and net namespaces and its root, with a minimal environment. */
export async function hostExecArgv(t: Topology, host: string, argv: string[]): Promise<string[]> {
  if (!t.hosts.some((h) => h.name === host)) throw new Error(`${host} is not a host of lab ${t.name} (hosts: ${t.hosts.map((h) => h.name).join(', ')})`);
  if (!argv.length) throw new Error('no command to run');
  const init = await findHostInit(t, host);
  if (init === undefined) throw new Error(`lab host ${host} is not running (fabric lab status${t.name === 'fab' ? '' : ` --name ${t.name}`})`);
  const term = process.env.TERM ? [`TERM=${process.env.TERM}`] : [];
  return ['nsenter', '-t', String(init), '-m', '-u', '-p', '-n', '-r', '-w', '--', '/usr/bin/env', '-i', '-C', '/root', ...LAB_ENV, ...term, ...argv];
}


/** Runs argv in the host with the given stdio; resolves to its exit code (127: command not found). */
export async function hostExec(t: Topology, host: string, argv: string[], stdio: StdioOptions = 'inherit'): Promise<number> {
  const [cmd, ...args] = await hostExecArgv(t, host, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(exitCode(code, signal)));
  });
}

/** Like hostExec, capturing output (for tests and status checks). */
export async function hostExecCapture(t: Topology, host: string, argv: string[], input = ''): Promise<RunResult> {
  return run(await hostExecArgv(t, host, argv), input);
}
