// Runs a playbook on lab hosts through the real executor and counts the round trips of each task
// on each host (a wrapper around each real connection), as test/integration/round-trips.test.ts does.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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

export interface LabPlayRun {
  exitCode: number;
  /** task name -> host -> counts; a task that made no round trip on a host is absent. */
  trips: Map<string, Map<string, Counts>>;
  /** task name -> host -> outcome */
  outcomes: Map<string, Map<string, HostResult>>;
}

/** The play text is written to dir; tasks are told apart by name, so give each a unique one. */
export async function labPlay(dir: string, playbookText: string, inventoryPath: string, o: { check?: boolean; diff?: boolean } = {}): Promise<LabPlayRun> {
  const file = join(dir, `play-${randomBytes(4).toString('hex')}.yml`);
  writeFileSync(file, playbookText);
  const inventory = loadInventory(inventoryPath);
  const plan = await buildPlan({ playbooks: [file], inventory, tags: { tags: [], skipTags: [] }, extraVars: {} });
  const rec: LabPlayRun = { exitCode: -1, trips: new Map(), outcomes: new Map() };
  // The linear strategy finishes a task on every host before the next starts: attribute trips to it.
  let task = '(before any task)';
  const slot = (host: string): Counts => {
    const byHost = rec.trips.get(task) ?? new Map<string, Counts>();
    rec.trips.set(task, byHost);
    const c = byHost.get(host) ?? { execs: 0, uploads: 0 };
    byHost.set(host, c);
    return c;
  };
  const reporter: Reporter = {
    onEvent(e: RunEvent) {
      if (e.type === 'task_start') task = e.task.name;
      if (e.type === 'host_result') {
        const byHost = rec.outcomes.get(e.task.name) ?? new Map<string, HostResult>();
        rec.outcomes.set(e.task.name, byHost);
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
  const executor = new Executor({
    inventory,
    reporter,
    check: o.check ?? false,
    diff: o.diff ?? false,
    forks: 20,
    extraVars: {},
    connectTimeoutMs: 20_000,
    acceptNewHostKeys: false,
    wrap,
  });
  rec.exitCode = (await executor.run(plan)).exitCode;
  return rec;
}
