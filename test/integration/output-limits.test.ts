// Bounded output: a command printing 500 MB costs the controller its first and last 2 MiB per
// stream, not 500 MB, and says what it cut; state read as data is never cut silently; a command
// printing forever is stopped by the task timeout.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_KEEP } from '../../src/connection/shell-session.js';
import { LocalConnection } from '../../src/connection/local.js';
import { runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

const MB = 1_000_000;
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1']);
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

describe('output limits', () => {
  it('the session keeps head and tail of each stream, counts the cut, and the next command is intact', async () => {
    const c = new LocalConnection('local');
    try {
      const r = await c.exec(`printf 'HEAD'; head -c ${50 * MB} /dev/zero | tr '\\0' x; printf 'TAIL'; head -c ${10 * MB} /dev/zero | tr '\\0' e >&2`);
      expect(r.rc).toBe(0);
      expect(r.stdout.startsWith('HEADxxx')).toBe(true);
      expect(r.stdout.endsWith('xxxTAIL')).toBe(true);
      expect(r.cut).toEqual({ stdout: 50 * MB + 8 - OUTPUT_KEEP, stderr: 10 * MB - OUTPUT_KEEP });
      expect(r.stdout).toContain(`[fabric: ${50 * MB + 8 - OUTPUT_KEEP} characters of output cut here; the first and last ${OUTPUT_KEEP / 2} are kept]`);
      expect(r.stdout.length).toBeLessThan(OUTPUT_KEEP + 200);
      const next = await c.exec('echo next; echo err >&2');
      expect(next).toEqual({ rc: 0, stdout: 'next\n', stderr: 'err\n' });
    } finally {
      await c.close();
    }
  });

  it('500 MB from a host over SSH: the controller stays small, the result says what was cut', { timeout: 180_000 }, async () => {
    const timings = join(pd.dir, 'timings.json');
    const r = await runDirect(
      `
- hosts: n1
  gather_facts: false
  tasks:
    - shell: "yes | head -c ${500 * MB}; echo END"
      register: big
    - copy: {dest: "{{ base }}/len", content: "{{ big.stdout | length }}"}
`,
      timings,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const len = Number(readFileSync(join(pd.base, 'len'), 'utf8'));
    expect(len).toBeGreaterThan(OUTPUT_KEEP);
    expect(len).toBeLessThan(OUTPUT_KEEP + 200);
    const { maxRssKb } = JSON.parse(readFileSync(timings, 'utf8')) as { maxRssKb: number };
    expect(maxRssKb).toBeLessThan(400 * 1024); // a 500 MB string alone would be 500+ MB
    // Through the connection holder (another process reads the channel): the same cut result.
    const held = await pd.play(`
- hosts: n1
  gather_facts: false
  tasks:
    - shell: "yes | head -c ${200 * MB}; echo END"
      register: big
    - copy: {dest: "{{ base }}/held", content: "{{ big.stdout_lines | last }} {{ big.stdout | length }}"}
`);
    expect(held.code, held.stdout + held.stderr).toBe(0);
    const [end, n] = readFileSync(join(pd.base, 'held'), 'utf8').split(' ');
    expect(end).toBe('END');
    expect(Number(n)).toBeLessThan(OUTPUT_KEEP + 200);
  });

  it('a command that prints forever is stopped by the task timeout', { timeout: 120_000 }, async () => {
    const r = await pd.play(`
- hosts: n1
  gather_facts: false
  tasks:
    - command: yes fabric
      timeout: 4
`);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/did not finish within its timeout of 4 s/);
  });

  it('state read as data (slurp) over the limit fails clearly instead of returning a cut file', { timeout: 120_000 }, async () => {
    const r = await pd.play(`
- hosts: n1
  gather_facts: false
  tasks:
    - shell: "head -c ${8 * MB} /dev/urandom > {{ base }}/big.bin"
    - slurp: {src: "{{ base }}/big.bin"}
`);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/over \d+ characters \(output limit\)/);
  });
});

/** A play with no held connection (the controller process itself reads the SSH channel) and its phase timings. */
function runDirect(text: string, timings: string) {
  const pb = join(pd.dir, 'big.yml');
  writeFileSync(pb, text);
  return runFabric(['play', pb, '-i', pd.inv], { env: { FABRIC_SSH_PERSIST: '0', FABRIC_TIMINGS: timings }, timeoutMs: 170_000 });
}
