import { quote, shellJoin } from '../../quote.js';

/** sd_booted(): systemd is the init system when this directory exists (what service and systemd_service test). */
export const SYSTEMD_BOOTED = '[ -d /run/systemd/system ]';

/** What `systemctl is-enabled` prints for a unit systemd knows (Ansible's valid_enabled_states). */
export const ENABLED_STATES = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient'];

export type Scope = 'system' | 'user' | 'global';

/** systemctl with the scope's flag: --user and --global address another manager than the system's. */
export function systemctl(scope: Scope | undefined, ...args: string[]): string[] {
  return ['systemctl', ...(scope && scope !== 'system' ? [`--${scope}`] : []), ...args];
}

/**
 * `systemctl show` output as a map, as Ansible's parse_systemctl_show reads it: KEY=VALUE lines,
 * where an Exec* value in braces may run over several lines until the closing brace.
 */
export function parseSystemctlShow(text: string): Record<string, string> {
  const parsed: Record<string, string> = {};
  let key: string | undefined;
  let multi: string[] = [];
  for (const line of text.split('\n')) {
    if (key === undefined) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const k = line.slice(0, eq);
      const v = line.slice(eq + 1);
      if (k.startsWith('Exec') && v.trimStart().startsWith('{') && !v.trimEnd().endsWith('}')) {
        key = k;
        multi = [v];
        continue;
      }
      parsed[k] = v.trim();
    } else {
      multi.push(line);
      if (line.trimEnd().endsWith('}')) {
        parsed[key] = multi.join('\n').trim();
        key = undefined;
        multi = [];
      }
    }
  }
  return parsed;
}

/** The script that reads a unit: systemd running, `systemctl show`, `is-enabled`, and the init script's presence and rc links. */
export function unitProbeScript(name: string, scope: Scope | undefined): string {
  const n = quote(name);
  return [
    `if ${SYSTEMD_BOOTED}; then echo @@booted; else echo @@notbooted; fi`,
    // Without systemd, systemctl says why: that message is the task's error.
    `echo @@show; ${shellJoin(systemctl(scope, 'show', '--', name))} 2>&1; echo "@@showrc=$?"`,
    `e=$(${shellJoin(systemctl(scope, 'is-enabled', '--', name))} 2>/dev/null); echo "@@enabledrc=$? $e"`,
    `[ -x /etc/init.d/${n} ] && echo @@initd`,
    `for l in /etc/rc[2345].d/S[0-9][0-9]${n}; do [ -e "$l" ] && { echo @@sysvenabled; break; }; done`,
    'true',
  ].join('\n');
}

export interface UnitState {
  booted: boolean;
  /** systemctl show succeeded: its map; otherwise undefined and showError says why. */
  show?: Record<string, string>;
  showError?: string;
  enabledRc: number;
  /** is-enabled's answer (enabled, disabled, masked, static, ...); '' when it printed none. */
  enabledOut: string;
  initd: boolean;
  sysvEnabled: boolean;
}

export function parseUnitProbe(out: string): UnitState {
  const showStart = out.indexOf('@@show\n');
  const showEnd = out.search(/^@@showrc=/m);
  const showText = showStart >= 0 && showEnd > showStart ? out.slice(showStart + 7, showEnd) : '';
  const showRc = Number(/^@@showrc=(\d+)/m.exec(out)?.[1] ?? 1);
  const en = /^@@enabledrc=(\d+) ?(.*)$/m.exec(out);
  // Ansible's request_was_ignored: an answer without any KEY=VALUE that says it ignored the request.
  const ignored = !showText.includes('=') && /ignoring (request|command)/.test(showText);
  return {
    booted: /^@@booted$/m.test(out),
    ...(showRc === 0 && !ignored ? { show: parseSystemctlShow(showText) } : { showError: showText.trim() || `systemctl show exited ${showRc}` }),
    enabledRc: Number(en?.[1] ?? 1),
    enabledOut: (en?.[2] ?? '').trim(),
    initd: /^@@initd$/m.test(out),
    sysvEnabled: /^@@sysvenabled$/m.test(out),
  };
}
