import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * Tries attempt until it returns true or timeoutMs passes, waiting a little longer after each
 * miss (0.2 s doubling to 5 s: a lab host reboots in under a second, a real one in minutes).
 * Returns the last error (or undefined) when it timed out, true when it succeeded.
 */
export async function retryUntil(timeoutMs: number, attempt: () => Promise<boolean>): Promise<true | { last?: unknown }> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (let wait = 200; ; wait = Math.min(wait * 2, 5000)) {
    try {
      if (await attempt()) return true;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() + wait > end) return { last };
    await sleep(wait);
  }
}
