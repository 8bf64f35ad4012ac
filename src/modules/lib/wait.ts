import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * Tries attempt until it returns true or timeoutMs passes (a throw counts as a miss), waiting a
 * little longer after each miss (0.2 s doubling to 5 s: a lab host reboots in under a second, a
 * real one in minutes). True when an attempt succeeded.
 */
export async function retryUntil(timeoutMs: number, attempt: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (let wait = 200; ; wait = Math.min(wait * 2, 5000)) {
    if (await attempt().catch(() => false)) return true;
    if (Date.now() + wait > end) return false;
    await sleep(wait);
  }
}
