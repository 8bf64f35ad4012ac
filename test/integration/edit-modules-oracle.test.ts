import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFabric } from '../support/fabric.js';
import { EDIT_CASES, type EditCase } from '../support/edit-cases.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// The file-editing modules against Ansible itself (Debian's ansible, installed by the test setup):
// the same start files, edited by ansible-playbook on the controller and by fabric over the real
// test sshd, twice each. Same bytes, same mode, same changed flag on the first and second run,
// and a failure where Ansible fails.
const run = promisify(execFile);

interface Outcome {
  changed: boolean[];
  failed: boolean[];
}
interface After {
  content: string | null;
  mode?: string;
}

let pd: PlayDir;
let root: string;
const ansible: Outcome = { changed: [], failed: [] };
const fabric: Outcome = { changed: [], failed: [] };
const ansibleFiles: After[] = [];
const fabricFiles: After[] = [];

const fileOf = (dir: string, i: number) => join(dir, `case${i}`);

function seed(dir: string): void {
  mkdirSync(dir, { recursive: true });
  EDIT_CASES.forEach((c, i) => {
    if (c.start === null) return;
    writeFileSync(fileOf(dir, i), c.start);
    chmodSync(fileOf(dir, i), parseInt(c.mode ?? '0644', 8));
  });
}

function after(dir: string, i: number): After {
  const p = fileOf(dir, i);
  if (!existsSync(p)) return { content: null };
  return { content: readFileSync(p, 'utf8'), mode: (statSync(p).mode & 0o7777).toString(8).padStart(4, '0') };
}

const fqcn = (m: EditCase['module']) => (m === 'ini_file' ? 'community.general.ini_file' : `ansible.builtin.${m}`);
const tasks = (dir: string, withFqcn: boolean) =>
  EDIT_CASES.map((c, i) => {
    const { path: _p, ...rest } = c.args;
    const args = JSON.stringify({ ...rest, [c.module === 'copy' ? 'dest' : 'path']: fileOf(dir, i) });
    return `    - name: case ${i}\n      ${withFqcn ? fqcn(c.module) : c.module}: ${args}\n      ignore_errors: true\n`;
  }).join('');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fabric-edit-oracle-'));
  pd = playDir(await testSshd(), ['n1']);
  const aDir = join(root, 'ansible');
  const fDir = join(pd.base, 'fabric');
  seed(aDir);
  seed(fDir);
  const aPlay = join(root, 'ansible.yml');
  writeFileSync(aPlay, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks(aDir, true)}`);
  const fPlay = `- hosts: nodes\n  gather_facts: false\n  tasks:\n${tasks(fDir, false)}`;
  for (let pass = 0; pass < 2; pass++) {
    const { stdout } = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', aPlay], {
      env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { changed?: boolean; failed?: boolean }> }> }> };
    report.plays[0]!.tasks.forEach((t, i) => {
      const r = t.hosts.localhost!;
      if (pass === 0) ansible.failed[i] = !!r.failed;
      ansible.changed[pass * EDIT_CASES.length + i] = !!r.changed;
    });
    if (pass === 0) EDIT_CASES.forEach((_c, i) => ansibleFiles.push(after(aDir, i)));

    const f = await pd.play(fPlay, ['--json']);
    if (f.code === 5) throw new Error(f.stderr);
    const json = JSON.parse(f.stdout) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { changed: boolean; failed: boolean }> }> }> };
    json.plays[0]!.tasks.forEach((t, i) => {
      const r = t.hosts.n1!;
      if (pass === 0) fabric.failed[i] = r.failed;
      fabric.changed[pass * EDIT_CASES.length + i] = r.changed;
    });
    if (pass === 0) EDIT_CASES.forEach((_c, i) => fabricFiles.push(after(fDir, i)));
  }
}, 300_000);

afterAll(async () => {
  await stopTestSshd();
  pd.remove();
  rmSync(root, { recursive: true, force: true });
});

describe('file-editing modules against Ansible', () => {
  it(`has at least 100 cases (${EDIT_CASES.length}), each answered by both`, () => {
    expect(EDIT_CASES.length).toBeGreaterThanOrEqual(100);
    expect(ansible.failed.length).toBe(EDIT_CASES.length);
    expect(fabric.failed.length).toBe(EDIT_CASES.length);
  });

  it.each(EDIT_CASES.map((c, i) => ({ i, c, label: `${c.module} ${JSON.stringify(c.args)} on ${c.start === null ? 'no file' : JSON.stringify(c.start.slice(0, 30))}` })))('$i: $label', ({ i }) => {
    const n = EDIT_CASES.length;
    expect(fabric.failed[i], 'failed').toBe(ansible.failed[i]);
    expect(fabricFiles[i], 'file after the first run').toEqual(ansibleFiles[i]);
    expect(fabric.changed[i], 'changed, first run').toBe(ansible.changed[i]);
    expect(fabric.changed[n + i], 'changed, second run').toBe(ansible.changed[n + i]);
  });
});
