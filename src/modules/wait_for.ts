import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { defineModule } from './types.js';

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  search_regex?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  msg?: string;
}

/**
 * Shell text that loops on the host until the condition holds or the deadline passes, in one round
 * trip. Prints `elapsed=N` and exits 0 (met) or 3 (timed out). Port probes use bash's /dev/tcp,
 * else nc -z; `timeout` bounds each attempt where it exists (not on macOS).
 */
export function waitForScript(a: WaitForArgs): string {
  const state = a.state ?? (a.path !== undefined ? 'present' : 'started');
  const ct = a.connect_timeout ?? 5;
  let check: string;
  const lines: string[] = [];
  if (a.port !== undefined) {
    const host = quote(a.host ?? '127.0.0.1');
    lines.push(
      'if command -v timeout >/dev/null 2>&1; then bound() { timeout ' + ct + ' "$@"; }; else bound() { "$@"; }; fi',
      'if command -v bash >/dev/null 2>&1; then',
      // Host and port reach bash as positional parameters, never as script text.
      `  probe() { bound bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ ${host} ${a.port} >/dev/null 2>&1; }`,
      'elif command -v nc >/dev/null 2>&1; then',
      `  probe() { nc -z -w ${ct} ${host} ${a.port} >/dev/null 2>&1; }`,
      'else echo "neither bash nor nc is available to test a port" >&2; exit 2; fi',
    );
    check = state === 'stopped' ? '! probe' : 'probe';
  } else {
    const p = quote(a.path!);
    if (state === 'absent') check = `[ ! -e ${p} ]`;
    else check = a.search_regex !== undefined ? `grep -E -q -e ${quote(a.search_regex)} -- ${p} 2>/dev/null` : `[ -e ${p} ]`;
  }
  lines.push(
    'start=$(date +%s)',
    `sleep ${a.delay ?? 0}`,
    `deadline=$((start + ${a.timeout ?? 300}))`,
    'while :; do',
    `  if ${check}; then echo "elapsed=$(( $(date +%s) - start ))"; exit 0; fi`,
    '  [ "$(date +%s)" -ge "$deadline" ] && break',
    `  sleep ${a.sleep ?? 1}`,
    'done',
    'echo "elapsed=$(( $(date +%s) - start ))"',
    'exit 3',
  );
  return lines.join('\n');
}

export default defineModule<WaitForArgs>({
  name: 'wait_for',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', pattern: '^[A-Za-z0-9_.:-]+$', description: 'Address to test a port on, as seen from the host (default 127.0.0.1).' },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      path: { type: 'string', minLength: 1, description: 'File to wait for (present/absent).' },
      search_regex: { type: 'string', description: 'With path: wait until the file holds a line matching this ERE.' },
      state: { enum: ['started', 'stopped', 'present', 'absent'], description: 'started/stopped for ports, present/absent for paths.' },
      timeout: { type: 'integer', minimum: 0, description: 'Seconds to wait in all (default 300).' },
      delay: { type: 'integer', minimum: 0, description: 'Seconds to wait before the first check.' },
      sleep: { type: 'integer', minimum: 1, description: 'Seconds between checks (default 1).' },
      connect_timeout: { type: 'integer', minimum: 1, description: 'Seconds one port attempt may take (default 5).' },
      msg: { type: 'string', description: 'Message on timeout.' },
    },
  },
  validate(a) {
    if ((a.port === undefined) === (a.path === undefined)) throw new InputError("wait_for: give exactly one of 'port' or 'path'");
    if (a.port !== undefined && (a.state === 'present' || a.state === 'absent')) throw new InputError(`wait_for: state ${a.state} is for 'path'; use started/stopped with 'port'`);
    if (a.path !== undefined && (a.state === 'started' || a.state === 'stopped')) throw new InputError(`wait_for: state ${a.state} is for 'port'; use present/absent with 'path'`);
    if (a.search_regex !== undefined && a.path === undefined) throw new InputError("wait_for: 'search_regex' needs 'path'");
  },
  async run(a, ctx) {
    const total = (a.delay ?? 0) + (a.timeout ?? 300);
    // The loop ends itself; the exec timeout only guards against a wedged host.
    const r = await ctx.exec(waitForScript(a), { timeoutMs: (total + 30) * 1000 });
    const elapsed = Number(/elapsed=(\d+)/.exec(r.stdout)?.[1] ?? total);
    const what = a.port !== undefined ? `${a.host ?? '127.0.0.1'}:${a.port}` : a.path!;
    if (r.rc === 0) return { changed: false, elapsed, ...(a.port !== undefined ? { port: a.port } : { path: a.path }) };
    if (r.rc === 3) return { changed: false, failed: true, elapsed, msg: a.msg ?? `Timeout when waiting for ${what}` };
    return { changed: false, failed: true, elapsed, rc: r.rc, msg: `wait_for ${what} failed: ${r.stderr.trim()}` };
  },
});
