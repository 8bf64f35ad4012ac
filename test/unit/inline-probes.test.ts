import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { parseFileState, probeFileScript } from '../../src/modules/lib/file-state.js';

// Probes run inline in the long-lived shell (no subshell fork): they must leave it as they found it.
const dir = mkdtempSync(join(tmpdir(), 'fabric-inline-'));
writeFileSync(join(dir, 'file'), 'hello\n');
mkdirSync(join(dir, 'sub'));
symlinkSync('file', join(dir, 'link'));
const conn = new LocalConnection('local');
afterAll(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The session shell's variables (names only), as `set` lists them. */
async function shellVars(): Promise<string[]> {
  const r = await conn.exec('set', { inline: true });
  return r.stdout.split('\n').map((l) => l.split('=')[0]!).filter(Boolean);
}

describe('inline probes', () => {
  it('run in the session shell itself; other commands get a subshell', async () => {
    // A child's parent is the shell that forked it: the session shell ($$) only when inline.
    const inline = await conn.exec('sh -c \'echo $PPID\'; echo $$', { inline: true });
    const [child, session] = inline.stdout.trim().split('\n');
    expect(child).toBe(session);
    const sub = await conn.exec('sh -c \'echo $PPID\'; echo $$');
    const [child2, session2] = sub.stdout.trim().split('\n');
    expect(session2).toBe(session);
    expect(child2).not.toBe(session2);
  });

  it('the file probe leaves no variable behind, whatever the path is', async () => {
    const before = await shellVars();
    for (const name of ['file', 'sub', 'link', 'absent', 'sub/']) {
      for (const opts of [{}, { content: true, follow: true }, { reportPath: true, checksum: false as const }]) {
        const r = await conn.exec(probeFileScript(join(dir, name), opts), { inline: true });
        expect(r.rc).toBe(0);
        const followed = 'follow' in opts ? 'file' : 'link';
        const want = { file: 'file', sub: 'directory', 'sub/': 'directory', absent: 'absent', link: followed }[name];
        expect(parseFileState(r.stdout, opts).type).toBe(want);
      }
    }
    expect(await shellVars()).toEqual(before);
  });

  it('a failing inline script leaves the session usable', async () => {
    const r = await conn.exec(`${probeFileScript(join(dir, 'file'))}\nfalse`, { inline: true });
    expect(r.rc).toBe(1);
    expect((await conn.exec('echo still here')).stdout).toBe('still here\n');
  });
});
