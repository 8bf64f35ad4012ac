// Ad-hoc commands against Ansible itself: `ansible PATTERN -a ...` and `fabric run PATTERN ...` on
// the same lab hosts print the same blocks (per host, byte for byte) and exit with the same code;
// bad arguments stop before any host; `fabric facts` reads each host's facts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LabInfo } from '../../src/lab/index.js';
import { runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const exec = promisify(execFile);
const HOSTS = 'w1:w2';
let lab: LabInfo;
let ansibleEnv: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'fabric-adhoc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The output as host -> its block, since both print hosts in the order they finish. */
function blocks(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let host = '';
  for (const line of stdout.replace(/\n$/, '').split('\n')) {
    const m = /^(\S+) \| [A-Z]+!?( |:|$)/.exec(line);
    if (m) host = m[1]!;
    // fabric's command results carry no start/end/delta (README: ad-hoc): left out of the comparison.
    const timeless = line.replace(/"(?:delta|start|end)": "[^"]*",/g, '');
    if (host) out[host] = `${out[host] ?? ''}${timeless}\n`;
  }
  return out;
}

async function ansible(args: string[]): Promise<{ code: number; stdout: string }> {
  const r = await exec('ansible', [HOSTS, ...args], { env: { ...process.env, ...ansibleEnv, ANSIBLE_NOCOLOR: '1' }, maxBuffer: 1 << 24 }).then(
    (x) => ({ code: 0, stdout: x.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  return r;
}

const fabric = (args: string[]) => runFabric(['run', HOSTS, '-i', lab.inventoryPath, ...args]);

describeLab('fabric run = ansible ad-hoc', () => {
  beforeAll(async () => {
    lab = requireLab();
    // @ts-expect-error: a plain .mjs helper of the bench, without types
    const { writeAnsibleEnv } = (await import('../../bench/ansible-env.mjs')) as { writeAnsibleEnv(dir: string, lab: LabInfo): { env: Record<string, string> } };
    ansibleEnv = writeAnsibleEnv(join(dir, 'ansible'), lab).env;
  });

  const same = [
    { name: 'a command', ansible: ['-a', 'echo "hello  world"'], fabric: ['--', 'echo', 'hello  world'] },
    { name: 'a command as -a', ansible: ['-a', 'printf "a\\nb\\n"'], fabric: ['-a', 'printf "a\\nb\\n"'] },
    { name: 'a failing command with stderr', ansible: ['-a', 'ls /nonexistent-fabric-adhoc'], fabric: ['--', 'ls', '/nonexistent-fabric-adhoc'] },
    { name: 'shell', ansible: ['-m', 'shell', '-a', 'echo out; echo err >&2'], fabric: ['-m', 'shell', '--', 'echo out; echo err >&2'] },
    { name: 'one line', ansible: ['-o', '-a', 'printf "x\\ny"'], fabric: ['-o', '--', 'printf', 'x\ny'] },
    { name: 'one line, failed with stderr', ansible: ['-o', '-m', 'shell', '-a', 'echo o; echo e >&2; exit 3'], fabric: ['-o', '-m', 'shell', '-a', 'echo o; echo e >&2; exit 3'] },
    { name: 'ping (JSON)', ansible: ['-m', 'ping'], fabric: ['-m', 'ansible.builtin.ping'] },
    { name: 'ping one line', ansible: ['-o', '-m', 'ping'], fabric: ['-o', '-m', 'ping'] },
  ];
  for (const c of same) {
    it(`${c.name}: same blocks, same exit code`, { timeout: 120_000 }, async () => {
      const [theirs, ours] = [await ansible(c.ansible), await fabric(c.fabric)];
      expect(ours.code, ours.stderr).toBe(theirs.code);
      const b = blocks(ours.stdout);
      expect(Object.keys(b).sort()).toEqual(['w1', 'w2']);
      expect(b).toEqual(blocks(theirs.stdout));
    });
  }

  it('a recap on request; a change reported as CHANGED with its diff; check mode changes nothing', async () => {
    const path = `/tmp/fabric-adhoc-${process.pid}`;
    const args = ['-m', 'copy', '-a', `{"dest": "${path}", "content": "one\\n"}`];
    const checked = await fabric([...args, '-C']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/^w1 \| CHANGED => \{/m);
    expect((await fabric(['--', 'test', '-e', path])).code).toBe(2);
    const r = await fabric([...args, '-D', '--recap']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+one');
    expect(r.stdout).toMatch(/^w2\s+: ok=1\s+changed=1\s+unreachable=0\s+failed=0/m);
    const again = await fabric(args);
    expect(again.stdout).toMatch(/^w1 \| SUCCESS => \{/m);
    await fabric(['-m', 'file', '-a', `path=${path} state=absent`]);
  });

  it('bad module arguments, an unknown module or pattern: exit 5, no host contacted', async () => {
    for (const args of [['-m', 'file', '-a', 'path=/tmp/x state=bogus'], ['-m', 'nosuchmodule'], ['-m', 'ping', '--', 'uptime'], ['-a', 'uptime', '--', 'uptime']]) {
      const r = await fabric(args);
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/error: /);
    }
    const bad = await fabric(['-m', 'file', '-a', 'path=/tmp/x state=bogus']);
    expect(bad.stderr).toContain("ad-hoc file: file.state must be one of");
    const unknown = await runFabric(['run', 'nosuchgroup', '-i', lab.inventoryPath, '--', 'true']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain("unknown host or group 'nosuchgroup'");
  });

  it('fabric facts: every host of the pattern, as YAML or JSON', async () => {
    const y = await runFabric(['facts', HOSTS, '-i', lab.inventoryPath]);
    expect(y.code, y.stderr).toBe(0);
    const facts = parse(y.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(facts)).toEqual(['w1', 'w2']);
    expect(facts.w1!.os_family).toBe('Debian');
    const j = await runFabric(['facts', 'w1', '-i', lab.inventoryPath, '--json']);
    const doc = JSON.parse(j.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(['w1']);
    expect(doc.w1!.hostname).toBe(facts.w1!.hostname);
  });
});
