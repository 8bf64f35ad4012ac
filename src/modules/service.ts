import { InputError } from '../errors.js';
import { quote, shellJoin } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { SYSTEMD_BOOTED } from './lib/systemd.js';
import { defineModule } from './types.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload?: boolean;
}

export interface ServiceState {
  init: 'systemd' | 'sysv';
  exists: boolean;
  running: boolean;
  enabled: boolean;
  /** sysv: update-rc.d is available; links: some rc?.d link exists already. */
  updateRcd: boolean;
  links: boolean;
}

/** The fact: init system, then running/enabled the way that init system tells. */
export function serviceProbeScript(name: string): string {
  const n = quote(name);
  return [
    `if ${SYSTEMD_BOOTED}; then`,
    '  echo init=systemd',
    `  echo "load=$(systemctl show -p LoadState --value -- ${n} 2>/dev/null)"`,
    `  echo "active=$(systemctl is-active -- ${n} 2>/dev/null)"`,
    `  echo "enabled=$(systemctl is-enabled -- ${n} 2>/dev/null)"`,
    'else',
    '  echo init=sysv',
    `  [ -x /etc/init.d/${n} ] && echo script=1`,
    // LSB: status exit 0 means running; 1-3 not running; 4 unknown.
    `  if command -v service >/dev/null 2>&1; then service ${n} status >/dev/null 2>&1; else /etc/init.d/${n} status >/dev/null 2>&1; fi; echo "status=$?"`,
    '  command -v update-rc.d >/dev/null 2>&1 && echo updatercd=1',
    `  for l in /etc/rc[2345].d/S[0-9][0-9]${n}; do [ -e "$l" ] && { echo enabled=1; break; }; done`,
    `  for l in /etc/rc[0-6S].d/[SK][0-9][0-9]${n}; do [ -e "$l" ] && { echo links=1; break; }; done`,
    'fi',
    'true',
  ].join('\n');
}

export function parseServiceProbe(out: string): ServiceState {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  if (kv.get('init') === 'systemd') {
    const load = kv.get('load') ?? '';
    return {
      init: 'systemd',
      exists: load !== '' && load !== 'not-found',
      running: ['active', 'reloading', 'activating'].includes(kv.get('active') ?? ''),
      enabled: ['enabled', 'enabled-runtime', 'alias', 'static', 'indirect', 'generated'].includes(kv.get('enabled') ?? ''),
      updateRcd: false,
      links: false,
    };
  }
  return {
    init: 'sysv',
    exists: kv.get('script') === '1',
    running: kv.get('status') === '0',
    enabled: kv.get('enabled') === '1',
    updateRcd: kv.get('updatercd') === '1',
    links: kv.get('links') === '1',
  };
}

/** The commands that bring the service from `now` to what args ask; empty when nothing to do. */
export function servicePlan(args: ServiceArgs, now: ServiceState): { commands: string[][]; warnings: string[] } {
  const commands: string[][] = [];
  const warnings: string[] = [];
  const sysd = now.init === 'systemd';
  if (args.enabled !== undefined && args.enabled !== now.enabled) {
    if (sysd) commands.push(['systemctl', args.enabled ? 'enable' : 'disable', '--', args.name]);
    else if (!now.updateRcd) warnings.push(`cannot ${args.enabled ? 'enable' : 'disable'} ${args.name}: no systemd and no update-rc.d`);
    else if (args.enabled) commands.push(['update-rc.d', args.name, now.links ? 'enable' : 'defaults']);
    else commands.push(['update-rc.d', args.name, 'disable']);
  }
  const act = (verb: string) => commands.push(sysd ? ['systemctl', verb, '--', args.name] : ['service', args.name, verb]);
  switch (args.state) {
    case 'started':
      if (!now.running) act('start');
      break;
    case 'stopped':
      if (now.running) act('stop');
      break;
    case 'restarted':
      act('restart');
      break;
    case 'reloaded':
      // A stopped service cannot reload: start it, as Ansible does.
      act(now.running ? 'reload' : 'start');
      break;
  }
  return { commands, warnings };
}

/** A service's state, read by serviceProbeScript. */
const serviceFact = defineFact(serviceProbeScript, (r) => parseServiceProbe(r.stdout));

export default defineModule({
  name: 'service',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9@_.:+\\\\][A-Za-z0-9@_.:+\\\\-]*$', description: 'Service (systemd unit or /etc/init.d script) name.' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean', description: 'Start at boot (systemctl enable, or update-rc.d without systemd).' },
      daemon_reload: { type: 'boolean', description: 'systemd only: run daemon-reload before reading the state.' },
    },
  },
  validate(args: ServiceArgs) {
    if (args.state === undefined && args.enabled === undefined) throw new InputError("service: give 'state' and/or 'enabled'");
  },
  facts: (args: ServiceArgs) => ({ before: serviceFact(args.name) }),
  async run(args, ctx, { before }) {
    // daemon-reload is a change (systemd rereads its units): the state is read again after it.
    const reload = !!args.daemon_reload && !ctx.check && before.init === 'systemd';
    if (reload) {
      const r = await ctx.exec('systemctl daemon-reload');
      if (r.rc !== 0) return { changed: false, failed: true, msg: `systemctl daemon-reload failed: ${r.stderr.trim()}` };
    }
    const now = reload ? await ctx.fact(serviceFact(args.name)) : before;
    if (!now.exists) return { changed: false, failed: true, msg: `no service named ${args.name} (${now.init})` };
    const { commands, warnings } = servicePlan(args, now);
    const base = {
      name: args.name,
      state: args.state,
      ...(args.enabled !== undefined ? { enabled: args.enabled } : {}),
      status: { init: now.init, running: now.running, enabled: now.enabled },
      ...(warnings.length ? { msg: warnings.join('; ') } : {}),
    };
    const diff =
      ctx.diff && commands.length
        ? [{ before: `running: ${now.running}\nenabled: ${now.enabled}\n`, after: `running: ${args.state ? args.state !== 'stopped' : now.running}\nenabled: ${args.enabled ?? now.enabled}\n` }]
        : undefined;
    if (!commands.length) return { changed: false, ...base };
    if (ctx.check) return { changed: true, ...base, ...(diff ? { diff } : {}) };
    // A hung init script must not hang the run (FRR's stop waits for its daemons to exit).
    const r = await ctx.exec(commands.map((c) => shellJoin(c)).join(' && '), { timeoutMs: 300_000 });
    if (r.rc !== 0) return { changed: true, failed: true, ...base, rc: r.rc, stdout: r.stdout, stderr: r.stderr, msg: `${commands.map((c) => c.join(' ')).join(' && ')} failed (rc ${r.rc}): ${r.stderr.trim() || r.stdout.trim()}` };
    return { changed: true, ...base, ...(diff ? { diff } : {}) };
  },
});
