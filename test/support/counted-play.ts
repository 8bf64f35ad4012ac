// Runs a playbook text in-process on real hosts and counts the round trips of each task per host,
// with a wrapper around each real connection (as test/integration/round-trips.test.ts does).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../src/connection/types.js';
import { loadInventory } from '../../src/inventory/index.js';
import { buildPlan } from '../../src/plan/index.js';
import { Executor } from '../../src/run/executor.js';
import type { HostResult, Reporter, RunEvent } from '../../src/run/events.js';

export interface Counts {
  execs: number;
  uploads: number;
}

export interface CountedRun {
  exitCode: number;
  /** task name -> host -> round trips made while that task ran (a read ahead counts for the task that made it) */
  trips: Map<string, Map<string, Counts>>;
  /** task name -> host -> outcome */
  outcomes: Map<string, Map<string, HostResult>>;
  /** Round trips of the whole run on host. */
  total(host: string): Counts;
}

export interface CountedOptions {
  check?: boolean;
  diff?: boolean;
}

/** Plays written to dir (a scratch dir unless given: a play's files/ go beside it); remove() at the end. */
export function countedPlays(dir = mkdtempSync(join(tmpdir(), 'fabric-counted-'))): { run(text: string, inventoryPath: string, o?: CountedOptions): Promise<CountedRun>; remove(): void } {
  return {
    remove: () => rmSync(dir, { recursive: true, force: true }),
    async run(text, inventoryPath, o = {}) {
      const file = join(dir, `play-${randomBytes(4).toString('hex')}.yml`);
      writeFileSync(file, text);
      const inventory = loadInventory(inventoryPath);
      const plan = await buildPlan({ playbooks: [file], inventory, tags: { tags: [], skipTags: [] }, extraVars: {} });
      const trips = new Map<string, Map<string, Counts>>();
      const outcomes = new Map<string, Map<string, HostResult>>();
      // The linear strategy finishes a task on every host before the next starts: attribute trips to it.
      let task = '(before any task)';
      const slot = (host: string): Counts => {
        const byHost = trips.get(task) ?? new Map<string, Counts>();
        trips.set(task, byHost);
        const c = byHost.get(host) ?? { execs: 0, uploads: 0 };
        byHost.set(host, c);
        return c;
      };
      const reporter: Reporter = {
        onEvent(e: RunEvent) {
          if (e.type === 'task_start') task = e.task.name;
          if (e.type === 'host_result') {
            const byHost = outcomes.get(e.task.name) ?? new Map<string, HostResult>();
            outcomes.set(e.task.name, byHost);
            byHost.set(e.host, e.outcome);
          }
        },
        close: async () => undefined,
      };
      const wrap = (real: Connection): Connection => ({
        host: real.host,
        stats: real.stats,
        exec: (script, opts) => {
          slot(real.host).execs++;
          return real.exec(script, opts);
        },
        upload: (content, remotePath) => {
          slot(real.host).uploads++;
          return real.upload(content, remotePath);
        },
        close: () => real.close(),
      });
      const executor = new Executor({ inventory, reporter, check: !!o.check, diff: !!o.diff, forks: 20, extraVars: {}, connectTimeoutMs: 20_000, acceptNewHostKeys: false, wrap });
      const exitCode = (await executor.run(plan)).exitCode;
      const total = (host: string): Counts => {
        const sum = { execs: 0, uploads: 0 };
        for (const byHost of trips.values()) {
          const c = byHost.get(host);
          if (c) (sum.execs += c.execs), (sum.uploads += c.uploads);
        }
        return sum;
      };
      return { exitCode, trips, outcomes, total };
    },
  };
}
