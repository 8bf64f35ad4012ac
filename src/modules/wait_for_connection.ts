import { sleep } from './lib/wait.js';
import { defineModule } from './types.js';

interface Args {
  connect_timeout?: number;
  delay?: number;
  sleep?: number;
  timeout?: number;
}

/**
 * ansible.builtin.wait_for_connection: waits until the host answers over a connection of its
 * own (a host still booting, or one the play just created), then goes on. Never changed; runs in
 * check mode too, as in Ansible.
 */
export default defineModule<Args>({
  name: 'wait_for_connection',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      connect_timeout: { type: 'integer', minimum: 1, description: 'Seconds each connection attempt may take (default 5).' },
      delay: { type: 'integer', minimum: 0, description: 'Seconds to wait before the first attempt (default 0).' },
      sleep: { type: 'integer', minimum: 1, description: 'Seconds between attempts (default 1).' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait in all (default 600).' },
    },
  },
  waitsForConnection: true,
  async run(a, ctx) {
    const start = Date.now();
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    if (a.delay) await sleep(a.delay * 1000);
    const connectTimeoutMs = (a.connect_timeout ?? 5) * 1000;
    const end = start + (a.timeout ?? 600) * 1000;
    const pause = (a.sleep ?? 1) * 1000;
    // The open connection first (when there is one); after a failure, a new one each time.
    for (let fresh = false; ; fresh = true) {
      let why = 'the host did not answer pong';
      try {
        await ctx.connect({ connectTimeoutMs, fresh });
        if ((await ctx.exec('echo pong', { timeoutMs: connectTimeoutMs })).stdout.trim() === 'pong') return { changed: false, elapsed: elapsed() };
      } catch (e) {
        why = (e as Error).message;
      }
      if (Date.now() + pause >= end) return { changed: false, failed: true, elapsed: elapsed(), msg: `timed out waiting for ping module test: ${why}` };
      await sleep(pause);
    }
  },
});
