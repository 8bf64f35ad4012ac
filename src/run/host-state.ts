import type { PlannedTask } from '../plan/types.js';
import type { Facts, Vars } from '../modules/types.js';
import type { HostStats } from './events.js';
import type { HostTarget } from './connections.js';
import type { HostFacts } from './host-facts.js';

/** Everything the run knows about one host; registered results persist across plays. */
export interface HostState {
  name: string;
  inventoryVars: Vars;
  target: HostTarget;
  /** Registered results and set_fact values (above task vars, below extra vars). */
  runtime: Vars;
  /**
   * The runtime names whose values are data, never templates: registered results and set_fact
   * values (rendered once already, or read from the host). include_vars values are not: their
   * files are written by the operator and render on read, as vars files do.
   */
  dataVars: Set<string>;
  /** The items of the include loops running now (include params: above registered values). */
  loopVars: Vars;
  /** The setup facts (`facts.os_family`), gathered on first use. */
  facts?: Facts;
  factsPending?: Promise<Facts>;
  failed: boolean;
  /** How many blocks with a rescue it is inside now: a failure there is not final (fail-limits.ts). */
  rescueDepth: number;
  unreachable: boolean;
  /** meta end_host/end_batch/end_play: out of this play (not failed); the next play has it again. */
  ended: boolean;
  /** The play's handlers a change notified here (by name or `listen` topic), not yet run. */
  notified: Set<PlannedTask>;
  stats: HostStats;
  /** The host state modules read (file states, sysctls, guards, ...), cached until a change. */
  hostFacts: HostFacts;
  /** Its first task, or the last one changed nothing: the next task fetches the section's facts ahead. */
  prefetchDue: boolean;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
