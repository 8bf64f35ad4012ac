import { EXIT } from '../errors.js';
import type { Plan, PlannedPlay, PlannedTask } from '../plan/types.js';
import { forEachTask } from '../plan/walk.js';
import { runItems } from './blocks.js';
import type { HostStats } from './events.js';
import { serialBatches } from './fail-limits.js';
import { flushHandlers } from './handlers.js';
import { registerSection } from './prefetch.js';
import { fetchFacts, keyOf } from './host-facts.js';
import { factsRunAs } from './module-context.js';
import { RunContext, type ReadFacts, type RunOptions, type RunSummary } from './run-context.js';

export { DEFAULT_INTERRUPT_GRACE_MS, type RunOptions, type RunSummary } from './run-context.js';

/**
 * Runs a static plan: plays in order, each in batches of hosts (serial), with the linear
 * strategy: a task finishes on every host of the batch before the next starts; fail-limits.ts
 * decides when a failure stops the playbook for every host. The parts:
 * blocks.ts (block/rescue/always, include loops), handlers.ts, task.ts (one task: loop,
 * conditions, register, result), prepare.ts (what check and the run share), module-context.ts
 * (what a module sees), host-facts.ts (the host state modules read).
 */
export class Executor {
  private readonly rc: RunContext;

  constructor(opts: RunOptions) {
    this.rc = new RunContext(opts);
  }

  async run(plan: Plan): Promise<RunSummary> {
    const { rc } = this;
    try {
      const refused = await rc.opts.plan?.preflight?.(this.readFacts);
      if (refused !== undefined) return { exitCode: refused, stats: {}, interrupted: false };
      for (const play of plan.plays) {
        if (rc.halted) break;
        await this.runPlay(play);
      }
    } finally {
      await rc.pool.closeAll();
    }
    const stats: Record<string, HostStats> = {};
    for (const h of rc.hosts.values()) stats[h.name] = h.stats;
    const interrupted = rc.aborted;
    const all = Object.values(stats);
    const exitCode = interrupted
      ? EXIT.interrupted
      : all.some((s) => s.failed > 0)
        ? EXIT.failed
        : all.some((s) => s.unreachable > 0)
          ? EXIT.unreachable
          : rc.opts.detailedExitcode && all.some((s) => s.changed > 0)
            ? EXIT.changed
            : EXIT.ok;
    rc.opts.reporter.onEvent({ type: 'run_end', stats, exitCode, interrupted });
    return { exitCode, stats, interrupted };
  }

  /** A saved plan's facts read again on one host, in one round trip on the run's own connection. */
  private readonly readFacts: ReadFacts = async (name, reads) => {
    const h = this.rc.host(name);
    const reqs = reads.map((r) => ({ spec: r.spec, runAs: factsRunAs(r.becomeUser === undefined ? undefined : { user: r.becomeUser, password: this.rc.opts.becomePassword }, h.target.user) }));
    const got = await fetchFacts(await this.rc.pool.get(h.target), reqs);
    // The tasks then decide on exactly what was verified, without reading it again (a script fact's parser was not saved).
    h.hostFacts.seed(reqs.filter((r) => r.spec.kind !== 'script').map((r) => [keyOf(r), got.get(keyOf(r))!]));
    return reqs.map((r) => got.get(keyOf(r))!.print);
  };

  private async runPlay(play: PlannedPlay): Promise<void> {
    const { rc } = this;
    for (const n of play.hosts) rc.host(n).ended = false;
    for (const batch of serialBatches(play.hosts, play.serial)) {
      if (rc.halted || rc.endedPlays.has(play)) break;
      const hosts = batch.map((n) => rc.host(n)).filter((h) => !h.unreachable);
      rc.limits.startBatch(rc.active(hosts));
      // Handshakes overlap instead of queueing behind the --forks workers; a failure is reported by the first task.
      if (needsConnection(play)) for (const h of hosts) void rc.pool.get(h.target).catch(() => undefined);
      rc.opts.reporter.onEvent({ type: 'play_start', name: play.name, hosts: batch, check: rc.opts.check });
      for (const section of play.sections) {
        const order: PlannedTask[] = [];
        forEachTask(section, (t) => order.push(t));
        registerSection(order);
        await runItems(rc, play, section, hosts);
        await flushHandlers(rc, play, hosts);
        if (rc.halted || rc.endedPlays.has(play)) break;
      }
      rc.limits.endBatch(play);
      if (rc.limits.stopped) rc.opts.reporter.onEvent({ type: 'play_stopped', name: play.name, reason: rc.limits.stopped });
      rc.opts.reporter.onEvent({ type: 'play_end', name: play.name });
    }
  }
}

/** Whether any task of the play runs on its hosts (not only debug/set_fact/assert/fail). */
function needsConnection(play: PlannedPlay): boolean {
  let any = false;
  for (const s of [...play.sections, play.handlers]) forEachTask(s, (t) => (any ||= !t.module.controllerOnly));
  return any;
}
