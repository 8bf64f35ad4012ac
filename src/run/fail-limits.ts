import type { PlannedPlay, PlannedTask } from '../plan/types.js';
import type { HostState } from './host-state.js';

/**
 * Ansible's rules for when a play stops for every host, not only the failed ones (its
 * playbook_executor and linear strategy): checked after each task of a batch and once the batch
 * ends. A stop ends the playbook there: no later batch and no later play starts, and handlers
 * are not flushed. A host failing inside a block that has a rescue is not failed yet.
 */
export class FailLimits {
  /** Why the run stopped; undefined while it goes on. */
  stopped?: string;
  private batch: HostState[] = [];

  /** A batch starts with these hosts (those still in the play). */
  startBatch(hosts: HostState[]): void {
    this.batch = hosts;
  }

  /** After task t ran on its hosts: any_errors_fatal, then max_fail_percentage. */
  afterTask(play: PlannedPlay, t: PlannedTask, ran: HostState[]): void {
    if (this.stopped) return;
    const failedHere = ran.filter(finallyFailed);
    if (t.anyErrorsFatal && failedHere.length) {
      this.stopped = `any_errors_fatal: '${t.info.name}' failed on ${failedHere.map((h) => h.name).join(', ')}`;
      return;
    }
    this.checkPercentage(play);
  }

  /** Once the batch is over (handlers included): every host of it failed. */
  endBatch(play: PlannedPlay): void {
    if (this.stopped || !this.batch.length) return;
    this.checkPercentage(play);
    if (!this.stopped && this.batch.every(finallyFailed)) {
      this.stopped = `every host of the batch failed (${this.batch.map((h) => h.name).join(', ')}): no later batch or play starts`;
    }
  }

  private checkPercentage(play: PlannedPlay): void {
    if (play.maxFailPercentage === undefined || !this.batch.length) return;
    const failed = this.batch.filter(finallyFailed).length;
    const pct = (failed * 100) / this.batch.length;
    if (pct > play.maxFailPercentage) {
      this.stopped = `max_fail_percentage ${play.maxFailPercentage}: ${failed} of ${this.batch.length} hosts of the batch failed (${Math.round(pct)}%)`;
    }
  }
}

/** Failed or unreachable, with no enclosing rescue left to handle it. */
function finallyFailed(h: HostState): boolean {
  return h.unreachable || (h.failed && h.rescueDepth === 0);
}

/** Ansible's serial batches: each size a count or a percentage of all the play's hosts (at least 1), the last size repeating. */
export function serialBatches(hosts: string[], serial: (number | string)[] | undefined): string[][] {
  if (serial === undefined || hosts.length === 0) return [hosts];
  const sizeOf = (s: number | string) => {
    const text = String(s);
    const n = text.endsWith('%') ? Math.floor((hosts.length * Number(text.slice(0, -1))) / 100) : Number(text);
    return Math.max(1, n);
  };
  const out: string[][] = [];
  for (let i = 0, k = 0; i < hosts.length; k = Math.min(k + 1, serial.length - 1)) {
    const size = sizeOf(serial[k]!);
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}
