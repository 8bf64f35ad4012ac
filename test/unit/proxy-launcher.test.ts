// Proxy commands started in one batch: at 300 hosts (the scale bench) every proxy gets its own
// stream. The batch script grows with the square of its size; given as an argument it passed the
// kernel's 128 KiB limit for one argument at about 140 proxies, and every spawn failed with E2BIG.
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
  it('300 proxies asked for in one turn each answer on their own stream', { timeout: 60_000 }, async () => {
    const n = 300;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => echoed(i)));
    expect(answers).toEqual(Array.from({ length: n }, (_, i) => `${i}:hello`));
  });
});
