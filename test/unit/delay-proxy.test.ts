// The lab's slow-link proxy (src/lab/delay-proxy.ts) must deliver a byte stream in order: SSH
// checks a MAC on every packet, and one reordered chunk ends the connection ("connection to h5
// lost: error:00000000:lib(0)::reason(0)" in the 50 ms latency bench). With a timer per chunk,
// Node's cached loop clock let a chunk due in the same millisecond fire before the one ahead of it.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { delayed } from '../../src/lab/delayed-stream.js';

const PROXY = fileURLToPath(new URL('../../dist/lab/delay-proxy.js', import.meta.url));

/** Sends `count` numbered lines through the proxy in small writes; resolves with what arrived. */
async function through(rttMs: number, lossPct: number, count: number): Promise<{ lines: string[]; ms: number }> {
  let received = '';
  const server = createServer((s) => s.on('data', (d: Buffer) => (received += d.toString())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const t0 = Date.now();
  const proxy = spawn(process.execPath, [PROXY, String(rttMs), String(lossPct), '127.0.0.1', String(port)], { stdio: ['pipe', 'ignore', 'inherit'] });
  for (let i = 0; i < count; i++) {
    proxy.stdin.write(`${i}\n`);
    // a new chunk for the proxy every few lines, over many loop turns and clock ticks
    if (i % 8 === 0) await new Promise((r) => setImmediate(r));
  }
  proxy.stdin.end();
  await new Promise((r) => proxy.on('exit', r));
  server.close();
  return { lines: received.trim().split('\n'), ms: Date.now() - t0 };
}

/** Feeds chunks into one direction of the link, many per loop turn and across clock ticks; resolves with their order out. */
async function order(loss: number, turns: number): Promise<{ sent: number; out: number[] }> {
  const from = new PassThrough({ objectMode: true });
  const out: number[] = [];
  const to = new Writable({ objectMode: true, write: (n: number, _e, cb) => (out.push(n), cb()) });
  const done = new Promise<void>((r) => delayed(from, to, { oneWay: 10, rto: 30, loss: () => loss }, r));
  let sent = 0;
  for (let turn = 0; turn < turns; turn++) {
    const t = Date.now();
    while (Date.now() - t < 3) from.write(sent++);
    await new Promise((r) => setImmediate(r));
  }
  from.end();
  await done;
  return { sent, out };
}

describe('delay proxy', () => {
  it('releases chunks in the order they came, with and without loss', { timeout: 60_000 }, async () => {
    for (const loss of [0, 5]) {
      const { sent, out } = await order(loss, 40);
      expect(out.length, `loss ${loss}%`).toBe(sent);
      const firstOutOfOrder = out.findIndex((n, i) => n !== i);
      expect(firstOutOfOrder, `loss ${loss}%: chunk ${out[firstOutOfOrder]} came out at ${firstOutOfOrder}`).toBe(-1);
    }
  });

  it('carries a stream end to end, in order', { timeout: 60_000 }, async () => {
    const expected = Array.from({ length: 20_000 }, (_, i) => String(i));
    const { lines } = await through(20, 0, expected.length);
    expect(lines).toEqual(expected);
  });

  it('holds the stream back by half the round trip', async () => {
    const { ms } = await through(400, 0, 10);
    expect(ms).toBeGreaterThanOrEqual(200);
  });
});
