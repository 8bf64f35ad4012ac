import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runFabric } from '../support/fabric.js';

const BAD = join(REPO, 'test', 'fixtures', 'bad');
const tmp = mkdtempSync(join(tmpdir(), 'fabric-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Case {
  file: string;
  expect: string;
  errorFile: string;
  errorLine: number;
  inventory?: string;
}

/** Each fixture says what the error must say and marks the line it must point at with `# ERROR`. */
function cases(): Case[] {
  return readdirSync(BAD)
    .filter((f) => f.endsWith('.yml') && f !== 'inventory.yml')
    .map((f) => {
      const text = readFileSync(join(BAD, f), 'utf8');
      const expectText = /^# expect: (.*)$/m.exec(text)?.[1];
      if (!expectText) throw new Error(`${f} has no '# expect:' header`);
      const errorFile = /^# expect-file: (.*)$/m.exec(text)?.[1] ?? f;
      const errorText = readFileSync(join(BAD, errorFile), 'utf8');
      const errorLine = errorText.split('\n').findIndex((l) => l.includes('# ERROR')) + 1;
      if (!errorLine) throw new Error(`${errorFile} has no '# ERROR' line`);
      const isInventory = f.startsWith('inventory-');
      return { file: f, expect: expectText, errorFile, errorLine, inventory: isInventory ? f : undefined };
    });
}

describe('bad input: exit 5 with file:line and a one-line reason, and no host touched', () => {
  const all = cases();
  it('has a corpus of at least 30 files', () => expect(all.length).toBeGreaterThanOrEqual(30));

  for (const c of all) {
    it(c.file, async () => {
      const marker = join(tmp, `${c.file}.touched`);
      const playbook = c.inventory ? join(REPO, 'test', 'fixtures', 'bad', 'playbook-not-a-list.yml') : join(BAD, c.file);
      const inventory = join(BAD, c.inventory ?? 'inventory.yml');
      const args = c.inventory
        ? ['inventory', 'list', '-i', inventory]
        : ['play', playbook, '-i', inventory, '-e', `marker=${marker}`];
      const run = await runFabric(args, { cwd: BAD, env: { FABRIC_NO_FRAMES: '1' } });
      expect(run.code, run.stderr + run.stdout).toBe(5);
      const shown = relative(BAD, join(BAD, c.errorFile));
      const line = run.stderr.split('\n').find((l) => l.startsWith(`error: ${shown}:${c.errorLine}:`));
      expect(line, `no 'error: ${shown}:${c.errorLine}:' line in:\n${run.stderr}`).toBeDefined();
      expect(run.stderr).toContain(c.expect);
      expect(existsSync(marker)).toBe(false);
    });
  }
});

describe('bad input on the lab command line: exit 5 with the reason and its hint, and no namespace made', () => {
  it('a lab name that cannot be one', async () => {
    const run = await runFabric(['lab', 'up', '--name', 'abcdefghijkl', '--hosts', '1']);
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain('error: lab name "abcdefghijkl" is invalid (use 2-8 lowercase letters or digits, starting with a letter)');
    expect(existsSync(join(REPO, '.lab', 'abcdefghijkl'))).toBe(false);
  });
});
