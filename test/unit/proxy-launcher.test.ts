// Proxy commands started in one batch: at 300 hosts (the scale bench) every proxy gets its own
// stream. The batch script grows with the square of its size; given as an argument it passed the
// kernel's 128 KiB limit for one argument at about 140 proxies, and every spawn failed with E2BIG.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchProxy } from '../../src/connection/proxy-launcher.js';

function echoed(i: number): Promise<string> {
  return launchProxy(['sed', '-u', `s/^/${i}:/`]).then(
    (sock) =>
      new Promise((resolve, reject) => {
        let out = '';
        sock.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.endsWith('\n')) {
            sock.destroy();
            resolve(out.trim());
          }
        });
        sock.on('error', reject);
        sock.write('hello\n');
      }),
  );
}

describe('proxy launcher', () => {
  // First in the file: the sweep runs once per process, at the first batch.
  it("removes the proxy dirs of controllers that are gone (SIGKILLed with their helper), not a live one's", async () => {
    const saved = process.env.TMPDIR;
    const tmp = mkdtempSync(join(tmpdir(), 'launcher-'));
    process.env.TMPDIR = tmp;
    try {
      const gone = join(tmp, 'fabric-proxy-999999999-abc'); // above any pid_max: no such process
      const live = join(tmp, `fabric-proxy-${process.ppid}-def`);
      const other = join(tmp, 'fabric-proxy-xyz'); // not named for a pid: not ours to judge
      for (const d of [gone, live, other]) mkdirSync(d);
      expect(await Promise.all([echoed(1), echoed(2)])).toEqual(['1:hello', '2:hello']);
      expect([existsSync(gone), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('300 proxies asked for in one turn each answer on their own stream', { timeout: 60_000 }, async () => {
    const n = 300;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => echoed(i)));
    expect(answers).toEqual(Array.from({ length: n }, (_, i) => `${i}:hello`));
  });
});
