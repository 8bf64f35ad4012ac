import type { PlannedPlay } from '../plan/types.js';
import type { HostState } from './host-state.js';
import type { RunContext } from './run-context.js';
import { runTask } from './task.js';

/**
 * Runs the handlers notified on the hosts, in the order they are defined; handlers may notify
 * later ones (and earlier ones, which run in the next pass). Every handler a notification named
 * (by name or topic) is due on its own: one skipped by its `when` does not use a topic up for the
 * others. With force_handlers (play keyword or --force-handlers) they run on failed hosts too, and
 * after a failure limit stopped the play; never after an interrupt.
 */
export async function flushHandlers(rc: RunContext, play: PlannedPlay, hosts: HostState[]): Promise<void> {
  const force = play.forceHandlers || rc.opts.forceHandlers === true;
  for (let pass = 0; pass < 10; pass++) {
    if (force ? rc.aborted : rc.halted) return; // a handler is a new task: none starts after an interrupt or a stop
    let ran = false;
    for (const handler of play.handlers) {
      const eligible = force ? hosts.filter((h) => !h.unreachable && !h.ended) : rc.active(hosts);
      const targets = eligible.filter((h) => h.notified.has(handler));
      if (!targets.length) continue;
      ran = true;
      for (const h of targets) h.notified.delete(handler);
      await runTask(rc, play, handler, targets);
    }
    if (!ran) break;
  }
}
