/**
 * The run lock (README: Runs that never collide): a run that may change a host holds an flock on
 * the host for as long as it works there, so two runs never change one host at once.
 *
 * The lock is held by the session shell itself (fd 9 of the long-lived `sh`): it goes when the
 * shell goes, so a run that dies, a connection that breaks or a host that reboots never leaves a
 * stale lock behind. Commands run with fd 9 closed (see shell-session.ts), so nothing they start
 * keeps it. The lock file's first line says who holds it, for the message a waiting run prints.
 */
import { quote } from '../quote.js';

/** What a run writes into the lock it holds, and how long it waits for another run's. */
export interface RunLock {
  /** Random per run: another connection of the same run (an alias of the same machine) shares the lock. */
  run: string;
  controller: string;
  user: string;
  pid: number;
  /** What the run is, for the other run's message: `fabric play site.yml`. Never secrets. */
  label: string;
  waitSeconds: number;
}

/** Who holds a host's lock, as its lock file says (text from the host: shown, never rendered). */
export interface LockHolder {
  run: string;
  /** The host's pid of the session shell holding the lock (its process group). */
  shellPid: number;
  controller: string;
  pid: number;
}

/** Another run holds the host (or the lock cannot be taken there): the host stops, nothing ran on it. */
export class HostLockedError extends Error {
  override name = 'HostLockedError';
  constructor(
    readonly host: string,
    message: string,
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

/**
 * A lock left by a run of this controller that is gone (killed while the host was cut off: the
 * host's sshd has not noticed the dead connection, so its shell still holds the lock).
 */
export function staleHolder(e: HostLockedError, l: RunLock): LockHolder | undefined {
  const h = e.holder;
  if (!h || h.run === l.run || h.controller !== l.controller || !(h.shellPid > 1)) return undefined;
  try {
    process.kill(h.pid, 0);
    return undefined; // alive (or someone else's process with that pid: never broken then)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? h : undefined;
  }
}

/** Kills a stale holder's session shell and what it runs (its process group), before taking the lock. */
export function breakScript(h: LockHolder): string {
  return `kill -s KILL -- -${Math.trunc(h.shellPid)} 2>/dev/null`;
}

/** The shell answers `\x1fPRE<answer>\x1f\n` once it has (or has not) the lock. */
export const LOCK_ANSWER = /\x1fPRE([^\x1f\n]*)\x1f\n/;

/** How often a waiting shell looks again (flock -w per step, so a freed lock is taken at once). */
const STEP_SECONDS = 0.2;

/**
 * The script that takes the lock in the session shell. It prints its answer line; when it cannot
 * take the lock the shell exits, so the commands already sent behind it never run.
 */
export function lockScript(l: RunLock, host: string): string {
  const me = `${l.run} ${host}`;
  const steps = Math.ceil(l.waitSeconds / STEP_SECONDS);
  const info = [l.controller, l.user, l.pid, l.label.replace(/[\s\x1f]+/g, ' ')].map(String).join(' ');
  return [
    `__fab_d=/run/lock; [ -d "$__fab_d" ] && [ -w "$__fab_d" ] || __fab_d=/tmp`,
    `__fab_f=$__fab_d/fabric-run.lock; __fab_r=ok; __fab_n=0`,
    `if ! command -v flock >/dev/null 2>&1; then __fab_r='flock(1) is not installed on this host (util-linux): cannot take the run lock (--no-lock runs without it)'`,
    `else`,
    `  [ -e "$__fab_f" ] || (umask 0; : >>"$__fab_f") 2>/dev/null`,
    // Braces: `exec … 2>/dev/null` would send the shell's own stderr to /dev/null for good.
    `  if { command exec 9<>"$__fab_f"; } 2>/dev/null; then`,
    `    until flock -n 9 2>/dev/null; do`,
    `      __fab_h=$(head -c 400 "$__fab_f" 2>/dev/null | head -n 1 | tr -d '\\037\\r')`,
    // Our own shell before this one (dropped after a timeout) is going away: wait for it.
    `      case $__fab_h in ${quote(`${me} `)}*) ;; ${quote(`${l.run} `)}*) __fab_r=shared; break ;; esac`,
    `      __fab_n=$((__fab_n + 1))`,
    `      if [ "$__fab_n" -gt ${steps} ]; then __fab_r="held $__fab_h"; break; fi`,
    `      flock -w ${STEP_SECONDS} 9 2>/dev/null && break`,
    `    done`,
    `    [ "$__fab_r" = ok ] && printf '%s\\n' ${quote(me)}" $(date +%s) $$ "${quote(info)} >&9`,
    `  else __fab_r="cannot open the lock file $__fab_f"`,
    `  fi`,
    `fi`,
    `case $__fab_r in ok|shared) ;; *) exec 9>&- ;; esac`,
    `printf '\\037PRE%s\\037\\n' "$__fab_r"`,
    `case $__fab_r in ok|shared) ;; *) exit 75 ;; esac`,
    `unset __fab_d __fab_f __fab_r __fab_n __fab_h`,
  ].join('\n');
}

/** Gives the lock back without ending the shell (a connection holder parks the connection). */
export const UNLOCK_SCRIPT = 'exec 9>&-';

/** The error for the shell's answer, or undefined when the lock is ours (or our run's). */
export function lockRefusal(host: string, answer: string, l: RunLock): HostLockedError | undefined {
  if (answer === 'ok' || answer === 'shared') return undefined;
  if (!answer.startsWith('held ')) return new HostLockedError(host, `run lock: ${answer}`);
  // RUN HOST EPOCH SHELLPID CONTROLLER USER PID LABEL… as lockScript wrote it.
  const [run, , epoch, shellPid, controller, user, pid, ...label] = answer.slice(5).split(' ');
  const waited = `waited ${l.waitSeconds} s (--lock-wait)`;
  const since = Number(epoch) > 0 ? new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z') : undefined;
  if (!run || !controller || !since) return new HostLockedError(host, `locked by another run (lock file says: ${answer.slice(5) || 'nothing'}); ${waited}`);
  const holder = { run, controller, shellPid: Number(shellPid), pid: Number(pid) };
  return new HostLockedError(host, `locked by run ${run} (${label.join(' ') || 'fabric'}, ${user ?? '?'}, pid ${pid ?? '?'}) on ${controller} since ${since}; ${waited}`, holder);
}
