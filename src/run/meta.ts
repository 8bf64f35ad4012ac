import type { MetaAction } from '../modules/meta.js';
import type { PlannedPlay } from '../plan/types.js';
import type { HostResult } from './events.js';
import { flushHandlers } from './handlers.js';
import type { HostState } from './host-state.js';
import type { RunContext } from './run-context.js';

/**
 * What a `meta:` task asked for, done once it has run: `outcomes` are its hosts' results (a host
 * whose `when` was false has no `meta` in its result and asked for nothing); `hosts` are the
 * batch's hosts, which end_batch, end_play and clear_host_errors act on.
 */
export async function applyMeta(rc: RunContext, play: PlannedPlay, outcomes: Map<HostState, HostResult>, hosts: HostState[]): Promise<void> {
  const asked = [...outcomes].filter(([, o]) => o.result.meta !== undefined).map(([h, o]) => [h, o.result.meta as MetaAction] as const);
  if (!asked.length) return;
  const action = asked[0]![1];
  const askers = asked.map(([h]) => h);
  switch (action) {
    case 'noop':
      return;
    case 'flush_handlers':
      return flushHandlers(rc, play, hosts);
    case 'end_host':
      for (const h of askers) h.ended = true;
      return;
    case 'end_play':
      rc.endedPlays.add(play);
      for (const h of hosts) h.ended = true;
      return;
    case 'end_batch':
      for (const h of hosts) h.ended = true;
      return;
    case 'clear_facts':
      for (const h of askers) {
        h.facts = undefined;
        h.factsPending = undefined;
        h.hostFacts.drop();
      }
      return;
    case 'clear_host_errors':
      for (const h of hosts) h.failed = false;
      return;
    case 'reset_connection':
      await Promise.all(askers.map((h) => rc.pool.reset(h.target.host)));
      return;
  }
}
