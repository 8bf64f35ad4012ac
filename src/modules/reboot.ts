import type { ExecResult } from '../connection/types.js';
import { quote } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { retryUntil, sleep } from './lib/wait.js';
import { defineModule } from './types.js';

interface RebootArgs {
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  reboot_timeout?: number;
  connect_timeout?: number;
  test_command?: string;
  msg?: string;
  search_paths?: string | string[];
  boot_time_command?: string;
  reboot_command?: string;
}

const BOOT_TIME = 'cat /proc/sys/kernel/random/boot_id';
const SEARCH = ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin'];

/** The boot identity before the reboot: declared, so a section's read-ahead fetches it. */
const bootTime = defineFact(
  (command: string) => command,
  (r: ExecResult) => r,
);

/** The reboot command as Ansible builds it: its program found in search_paths (PATH is not used), then its arguments. */
export function rebootScript(a: RebootArgs): string {
  const given = a.reboot_command?.trim();
  const [bin, rest] = given ? [given.split(' ', 1)[0]!, given.slice(given.indexOf(' ') + 1 || given.length)] : ['shutdown', `-r ${Math.floor((a.pre_reboot_delay ?? 0) / 60)} ${quote(a.msg ?? 'Reboot initiated by Ansible')}`];
  if (bin.startsWith('/')) return `${quote(bin)} ${rest}`;
  const paths = a.search_paths === undefined ? SEARCH : Array.isArray(a.search_paths) ? a.search_paths : [a.search_paths];
  return [
    `for d in ${paths.map(quote).join(' ')}; do`,
    `  if [ -x "$d"/${quote(bin)} ]; then exec "$d"/${quote(bin)} ${rest}; fi`,
    'done',
    `echo ${quote(`Unable to find command "${bin}" in search paths: ${JSON.stringify(paths)}`)} >&2`,
    'exit 127',
  ].join('\n');
}

const int = (description: string) => ({ type: 'integer', minimum: 0, description });

/**
 * ansible.builtin.reboot: reboots the host, waits for a new boot id, then for test_command to
 * succeed, and goes on over a new connection. Changed (rebooted) every time, as in Ansible.
 */
export default defineModule<RebootArgs, { before: ReturnType<typeof bootTime> }>({
  name: 'reboot',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      pre_reboot_delay: int('Seconds before the reboot, passed to shutdown in whole minutes (under 60: now).'),
      post_reboot_delay: int('Seconds to wait after the reboot command before checking that the host rebooted.'),
      reboot_timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait for a new boot id, and again for test_command (default 600).' },
      connect_timeout: { type: 'integer', minimum: 1, description: 'Seconds each connection attempt may take (default: the run\'s --timeout).' },
      test_command: { type: 'string', minLength: 1, description: 'Command that must succeed on the rebooted host (default whoami).' },
      msg: { type: 'string', description: 'Message shutdown shows the users (default "Reboot initiated by Ansible").' },
      search_paths: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }], description: 'Where to look for the shutdown command (PATH is not used).' },
      boot_time_command: { type: 'string', minLength: 1, description: 'Prints something that changes at each boot (default: the kernel\'s boot id).' },
      reboot_command: { type: 'string', minLength: 1, description: 'Command (and arguments) that reboots, instead of shutdown -r.' },
    },
  },
  facts: (a) => ({ before: bootTime(a.boot_time_command ?? BOOT_TIME) }),
  async run(a, ctx, { before }) {
    if (ctx.vars.fabric_connection === 'local') {
      return { changed: false, failed: true, rebooted: false, elapsed: 0, msg: 'Running reboot with local connection would reboot the control node.' };
    }
    if (ctx.check) return { changed: true, rebooted: true, elapsed: 0 };
    const previous = before.stdout.trim();
    if (before.rc !== 0 || !previous) {
      return { changed: false, failed: true, rebooted: false, elapsed: 0, msg: `failed to get host boot time info, rc: ${before.rc}, stdout: ${before.stdout.trim()}, stderr: ${before.stderr.trim()}` };
    }
    let reboot: Pick<ExecResult, 'rc' | 'stdout' | 'stderr'>;
    try {
      reboot = await ctx.exec(rebootScript(a));
    } catch {
      reboot = { rc: 0, stdout: '', stderr: '' }; // the host went down before the command answered
    }
    const start = Date.now();
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    if (reboot.rc !== 0) {
      return { changed: false, failed: true, rebooted: false, elapsed: elapsed(), msg: `Reboot command failed. Error was: '${reboot.stdout.trim()}, ${reboot.stderr.trim()}'` };
    }
    if (a.post_reboot_delay) await sleep(a.post_reboot_delay * 1000);
    const timeout = a.reboot_timeout ?? 600;
    const connectTimeoutMs = a.connect_timeout === undefined ? undefined : a.connect_timeout * 1000;
    // The old connection dies with the host: every check after a failure opens a new one.
    let fresh = false;
    const attempt = (check: (r: ExecResult) => boolean, command: string, timeoutMs?: number) => async () => {
      try {
        if (fresh) await ctx.connect({ fresh: true, connectTimeoutMs });
        fresh = false;
        // A host that vanished without closing the connection leaves it half-open: give up on it.
        const r = await ctx.exec(command, timeoutMs === undefined ? undefined : { timeoutMs });
        if (r.rc === 124) throw new Error(r.stderr);
        return check(r);
      } catch (e) {
        fresh = true;
        throw e;
      }
    };
    const bootCommand = a.boot_time_command ?? BOOT_TIME;
    const booted = await retryUntil(timeout * 1000, attempt((r) => r.rc === 0 && r.stdout.trim() !== '' && r.stdout.trim() !== previous, bootCommand, connectTimeoutMs ?? 10_000));
    if (!booted) return { changed: false, failed: true, rebooted: true, elapsed: elapsed(), msg: `Timed out waiting for last boot time check (timeout=${timeout})` };
    let testOut: ExecResult | undefined;
    const tested = await retryUntil(timeout * 1000, attempt((r) => ((testOut = r), r.rc === 0), a.test_command ?? 'whoami'));
    if (!tested) {
      const why = testOut ? `: Test command failed: ${testOut.stderr.trim()} ${testOut.stdout.trim()}` : '';
      return { changed: false, failed: true, rebooted: true, elapsed: elapsed(), msg: `Timed out waiting for post-reboot test command (timeout=${timeout})${why}` };
    }
    return { changed: true, rebooted: true, elapsed: elapsed() };
  },
});
