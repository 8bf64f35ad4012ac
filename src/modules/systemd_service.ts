import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { ENABLED_STATES, parseUnitProbe, systemctl, unitProbeScript, type Scope, type UnitState } from './lib/systemd.js';
import { defineModule, type ModuleResult } from './types.js';

export interface SystemdArgs {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  daemon_reexec?: boolean;
  scope?: Scope;
  force?: boolean;
  no_block?: boolean;
}

/** A unit's state, read by unitProbeScript in one round trip. */
export const unitFact = defineFact((p: { name: string; scope?: Scope }) => unitProbeScript(p.name, p.scope), (r) => parseUnitProbe(r.stdout));

export interface SystemdPlan {
  /** Commands to run, in order (none in check mode is the caller's choice: the plan is the same). */
  commands: string[][];
  result: ModuleResult;
  /** The task fails with this (before any command runs). */
  error?: string;
}

const running = (s: Record<string, string>) => ['active', 'activating'].includes(s.ActiveState ?? '');

/** Ansible's systemd_service main() for one unit as a plan: the unit's state in, the systemctl commands and the result out. */
export function systemdPlan(a: SystemdArgs, u: UnitState | undefined, o: { check: boolean }): SystemdPlan {
  const flags = [...(a.no_block ? ['--no-block'] : []), ...(a.force ? ['--force'] : [])];
  const ctl = (...args: string[]) => systemctl(a.scope, ...flags, ...args);
  const commands: string[][] = [];
  const result: ModuleResult = { changed: false, name: a.name ?? null, status: {} };
  if (a.daemon_reload) commands.push(ctl('daemon-reload'));
  if (a.daemon_reexec) commands.push(ctl('daemon-reexec'));
  if (!a.name || !u) return { commands, result };
  const name = a.name;
  if (!u.booted) {
    return { commands: [], result, error: `systemd is not running on this host (PID 1 is not systemd, no /run/systemd/system), so systemctl cannot manage ${name}: ${u.showError ?? 'systemctl failed'}. The service module falls back to the init script.` };
  }
  let isSystemd = false;
  if (u.show) {
    result.status = u.show;
    const load = u.show.LoadState;
    isSystemd = load !== undefined && load !== 'not-found';
    const masked = load === 'masked';
    if (isSystemd && !masked && u.show.LoadError) return { commands: [], result, error: `Error loading unit file '${name}': ${u.show.LoadError}` };
  } else isSystemd = ENABLED_STATES.includes(u.enabledOut);
  const found = isSystemd || u.initd;
  const warnings = u.initd && !isSystemd ? [`The service (${name}) is actually an init script but the system is managed by systemd`] : [];
  if (warnings.length) result.warnings = warnings;
  // fail_if_missing: in check mode a missing unit is assumed to come from an earlier task.
  const missing = (): SystemdPlan => (o.check ? { commands, result: { ...result, changed: true, msg: 'Service not found on host, assuming it will exist on full run' } } : { commands: [], result, error: `Could not find the requested service ${name}: host` });
  if (a.masked !== undefined) {
    const masked = u.enabledOut === 'masked';
    if (masked !== a.masked) {
      result.changed = true;
      commands.push(ctl(a.masked ? 'mask' : 'unmask', '--', name));
    }
  }
  if (a.enabled !== undefined) {
    if (!found) return missing();
    let enabled = u.enabledRc === 0 && !['indirect', 'alias'].includes(u.enabledOut);
    if (u.enabledRc === 1 && (a.scope ?? 'system') === 'system' && u.initd && !u.enabledOut.endsWith('disabled') && u.sysvEnabled) enabled = true;
    result.enabled = enabled;
    if (enabled !== a.enabled) {
      result.changed = true;
      commands.push(ctl(a.enabled ? 'enable' : 'disable', '--', name));
      result.enabled = !enabled;
    }
  }
  if (a.state !== undefined) {
    if (!found) return missing();
    result.state = a.state;
    const s = u.show;
    if (!s || s.ActiveState === undefined) return { commands: [], result, error: 'Service is in unknown state' };
    let action: string | undefined;
    if (a.state === 'started') action = running(s) ? undefined : 'start';
    else if (a.state === 'stopped') action = running(s) || s.ActiveState === 'deactivating' ? 'stop' : undefined;
    else {
      action = running(s) ? a.state.slice(0, -2) : 'start';
      result.state = 'started';
    }
    if (action) {
      result.changed = true;
      commands.push(ctl(action, '--', name));
    }
  }
  return { commands, result };
}

/**
 * ansible.builtin.systemd_service (alias systemd): systemctl for one unit in the system, user or
 * global manager. The unit is read in one round trip (show, is-enabled, init script); the changes
 * go in one more. On a host where systemd is not PID 1 it fails and says so.
 */
export default defineModule({
  name: 'systemd_service',
  schema: {
    type: 'object',
    additionalProperties: false,
    anyOf: ['state', 'enabled', 'masked', 'daemon_reload', 'daemon_reexec'].map((k) => ({ required: [k] })),
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9@_.:+\\\\-]+$', description: 'The unit (ssh, ssh.service, getty@tty1.service); no globs.' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean', description: 'Start at boot (systemctl enable/disable).' },
      masked: { type: 'boolean', description: 'Mask the unit so nothing can start it.' },
      daemon_reload: { type: 'boolean', default: false, description: 'systemctl daemon-reload first (rereads unit files).' },
      daemon_reexec: { type: 'boolean', default: false, description: 'systemctl daemon-reexec first.' },
      scope: { enum: ['system', 'user', 'global'], default: 'system', description: "Whose manager: the system's, the login user's (--user), or all users' defaults (--global)." },
      force: { type: 'boolean', description: 'systemctl --force (enable over conflicting links).' },
      no_block: { type: 'boolean', default: false, description: 'systemctl --no-block: do not wait for the job.' },
    },
  },
  validate(a: SystemdArgs) {
    for (const k of ['state', 'enabled', 'masked'] as const) if (a[k] !== undefined && a.name === undefined) throw new InputError(`systemd_service: missing parameter(s) required by '${k}': name`);
    if (a.name && /[*?[]/.test(a.name)) throw new InputError(`systemd_service: This module does not currently support using glob patterns, found in service name: ${a.name}`);
    if (a.scope === 'global' && a.state !== undefined) throw new InputError('systemd_service: scope global sets defaults for every user; it cannot start or stop a unit (give enabled or masked)');
  },
  facts: (a: SystemdArgs) => ({ unit: a.name ? unitFact({ name: a.name, scope: a.scope }) : undefined }),
  async run(a, ctx, { unit }) {
    let u = unit;
    const reloads = [...(a.daemon_reload ? ['daemon-reload'] : []), ...(a.daemon_reexec ? ['daemon-reexec'] : [])];
    // daemon-reload/reexec come before the unit is read, as in Ansible: they run with a fresh read in one round trip.
    if (reloads.length && !ctx.check && u?.booted !== false) {
      const script = [...reloads.map((v) => `${shellJoin(systemctl(a.scope, v))} || { echo "@@failed ${v} $?" >&2; exit 1; }`), ...(a.name ? [unitFact({ name: a.name, scope: a.scope }).script] : [])].join('\n');
      const r = await ctx.exec(script);
      if (r.rc !== 0) return { changed: false, failed: true, name: a.name ?? null, status: {}, msg: `failure ${r.rc} during ${/@@failed (\S+)/.exec(r.stderr)?.[1] ?? reloads[0]}: ${r.stderr.replace(/@@failed.*\n?/, '').trim()}` };
      if (a.name) u = parseUnitProbe(r.stdout);
    }
    const plan = systemdPlan({ ...a, daemon_reload: false, daemon_reexec: false }, u, { check: ctx.check });
    if (plan.error) return { ...plan.result, failed: true, msg: plan.error };
    if (!plan.commands.length || ctx.check) return plan.result;
    const r = await ctx.exec(plan.commands.map((c) => `${shellJoin(c)} || { echo ${shellJoin([`@@failed ${c.join(' ')}`])} >&2; exit 1; }`).join('\n'), { timeoutMs: 300_000 });
    if (r.rc !== 0) {
      const failedCmd = /@@failed (.*)/.exec(r.stderr)?.[1] ?? plan.commands[0]!.join(' ');
      return { ...plan.result, failed: true, msg: `Unable to run ${failedCmd}: ${r.stderr.replace(/@@failed.*\n?/, '').trim()}` };
    }
    return plan.result;
  },
});
