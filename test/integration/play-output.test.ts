import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runFabric } from '../support/fabric.js';

// What the operator reads: task headers and debug output, on the controller (local connection).
const dir = mkdtempSync(join(tmpdir(), 'fabric-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'inventory.yml'), 'all:\n  hosts:\n    ctl: {fabric_connection: local, site: lab}\n');
writeFileSync(
  join(dir, 'play.yml'),
  `- hosts: ctl
  vars: {release: "1.31"}
  tasks:
    - name: "install kubeadm {{ release }} on {{ site }}"
      debug: {msg: shown}
    - name: "report {{ later }}"
      debug: {msg: "{{ release }}"}
      vars: {later: x}
    - name: "register first"
      set_fact: {made: here}
    - name: "uses {{ made }}"
      debug: {msg: ok}
    - name: chatty
      debug: {msg: only with -vv, verbosity: 2}
`,
);

const play = (...extra: string[]) => runFabric(['play', 'play.yml', '-i', 'inventory.yml', ...extra], { cwd: dir });

it('task headers show templated names rendered with the host’s variables', async () => {
  const run = await play();
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain('TASK [install kubeadm 1.31 on lab]');
  expect(run.stdout).toContain('TASK [report x]');
  expect(run.stdout).toContain('TASK [uses here]');
  expect(run.stdout).not.toContain('{{');
});

it('a debug task above the -v level is skipped (and counted skipped), shown at that level', async () => {
  const quiet = await play();
  expect(quiet.stdout).not.toContain('only with -vv');
  expect(quiet.stdout).toMatch(/ctl\s+: ok=4 .*skipped=1/);
  const loud = await play('-vv');
  expect(loud.stdout).toContain('only with -vv');
  expect(loud.stdout).toMatch(/ctl\s+: ok=5 .*skipped=0/);
});
