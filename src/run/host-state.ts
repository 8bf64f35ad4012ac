import type { ReadAhead } from './read-ahead.js';
import type { Facts, Vars } from '../modules/types.js';
import type { HostStats } from './events.js';
import type { HostTarget } from './connections.js';

/** Everything the run knows about one host; registered results persist across plays. */
export interface HostState {
  name: string;
  inventoryVars: Vars;
  target: HostTarget;
  /** Registered results and set_fact values (above task vars, below extra vars). */
  runtime: Vars;
  facts?: Facts;
  factsPending?: Promise<Facts>;
  failed: boolean;
  unreachable: boolean;
  notified: Set<string>;
  stats: HostStats;
  /** Probe results read ahead for this host's tasks (src/run/read-ahead.ts). */
  readAhead: ReadAhead;
  /** Its first task, or the last one changed nothing: the next task reads ahead the section's probes. */
  readAheadDue: boolean;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
