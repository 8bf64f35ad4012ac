import { dirname } from 'node:path';
import type { Inventory } from '../inventory/index.js';
import type { Vars } from '../modules/types.js';
import type { PlannedPlay, PlannedTask } from '../plan/types.js';
import { ConnectionPool, hostTarget, type PoolOptions } from './connections.js';
import type { FactSpec } from '../modules/lib/facts.js';
import type { HostResult, HostStats, Reporter, TaskInfo } from './events.js';
import { gatherFacts } from './facts.js';
import { HostFacts, type FactRead } from './host-facts.js';
import { FailLimits } from './fail-limits.js';
import { emptyStats, type HostState } from './host-state.js';
import { lazyTemplatedVars } from '../vars/lazy-vars.js';

/** Variables fabric provides: never templates themselves. */
const MAGIC = new Set(['inventory_hostname', 'groups', 'hostvars', 'play_hosts', 'check_mode', 'ansible_check_mode', 'playbook_dir', 'role_path', 'facts']);

export interface RunOptions extends PoolOptions {
  inventory: Inventory;
  reporter: Reporter;
  check: boolean;
  diff: boolean;
  /** -v count: debug tasks with a higher `verbosity` are skipped. */
  verbosity?: number;
  forks: number;
  /** --force-handlers: notified handlers run on failed hosts too (a play's force_handlers does it for that play). */
  forceHandlers?: boolean;
  /** --step: asked before each task; false skips it (it is not shown or counted). */
  confirm?: (task: TaskInfo) => Promise<boolean>;
  extraVars: Vars;
  becomePassword?: string;
  /** --task-timeout: seconds any task may take on a host, unless it says `timeout` itself. */
  taskTimeout?: number;
  /** Aborted on SIGINT: no new task starts; running ones finish. */
  signal?: AbortSignal;
  /** --detailed-exitcode: a run where every host is ok but something changed (or would, in check mode) exits EXIT.changed. */
  detailedExitcode?: boolean;
  /** After the abort, how long running tasks may take before the run gives up on them (default 30 s). */
  interruptGraceMs?: number;
  /** fabric plan and apply (src/plan-file/): what a run tells of its decisions, and what holds it to a saved plan. */
  plan?: PlanHooks;
}

/** Facts to read again on a host (a saved plan's), as the user given; the answer is their fingerprints, in order. */
export type ReadFacts = (host: string, reads: { spec: FactSpec; becomeUser?: string }[]) => Promise<string[]>;

export interface PlanHooks {
  /** The facts a task's module was given on host (read on `reader`: the delegate), with their fingerprints. */
  factsSeen?(task: TaskInfo, host: string, reader: string, reads: FactRead[]): void;
  /** Before any task: reads facts again (one round trip per host); an exit code refuses the run, and no task runs. */
  preflight?(read: ReadFacts): Promise<number | undefined>;
  /** The task runs on host in check mode: the plan says it changes nothing there. */
  checkOnly?(task: TaskInfo, host: string): boolean;
  /** The outcome the run records: a guard fails a host whose outcome departs from the plan. */
  judge?(task: TaskInfo, host: string, outcome: HostResult): HostResult;
}

export const DEFAULT_INTERRUPT_GRACE_MS = 30_000;

export interface RunSummary {
  exitCode: number;
  stats: Record<string, HostStats>;
  interrupted: boolean;
}

/** What every part of the executor shares for one run: options, connections, hosts, their variables. */
export class RunContext {
  readonly hosts = new Map<string, HostState>();
  readonly pool: ConnectionPool;
  readonly hostvars: Record<string, Vars> = {};
  readonly groups: Record<string, string[]>;
  /** Resolves once the grace period after an abort is over: tasks still running are abandoned. */
  readonly giveUp: Promise<void>;
  gaveUp = false;
  /** any_errors_fatal, max_fail_percentage, a batch that failed whole: why the playbook stopped. */
  readonly limits = new FailLimits();

  constructor(readonly opts: RunOptions) {
    this.pool = new ConnectionPool(opts);
    this.groups = opts.inventory.groups();
    // Like Ansible, hostvars knows every inventory host from the start, not only those already run.
    for (const name of opts.inventory.hostNames) this.hostvars[name] = { ...opts.inventory.hostVars(name), inventory_hostname: name };
    this.giveUp = new Promise((resolve) => {
      const signal = opts.signal;
      if (!signal) return;
      const arm = () =>
        setTimeout(() => {
          this.gaveUp = true;
          resolve();
        }, opts.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS).unref();
      if (signal.aborted) arm();
      else signal.addEventListener('abort', arm, { once: true });
    });
  }

  get aborted(): boolean {
    return !!this.opts.signal?.aborted;
  }

  /** No new task starts: interrupted, or a failure limit stopped the playbook. */
  get halted(): boolean {
    return this.aborted || this.limits.stopped !== undefined;
  }

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      const inventoryVars = this.opts.inventory.hostVars(name);
      // Only the fabric_* connection variables are read here; templates in them render on read.
      const vars = lazyTemplatedVars({ ...inventoryVars, ...this.opts.extraVars, inventory_hostname: name, groups: this.groups, hostvars: this.hostvars }, MAGIC);
      const target = hostTarget(name, vars);
      h = {
        name,
        inventoryVars,
        target,
        runtime: {},
        dataVars: new Set(),
        loopVars: {},
        failed: false,
        rescueDepth: 0,
        unreachable: false,
        ended: false,
        notified: new Set(),
        stats: emptyStats(),
        hostFacts: new HostFacts(() => this.pool.get(target)),
        prefetchDue: true,
      };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Plays a `meta: end_play` ended: no later batch of them starts. */
  readonly endedPlays = new Set<PlannedPlay>();

  /** Hosts still in the play: not failed, not unreachable, not ended by meta. */
  active(hosts: HostState[]): HostState[] {
    return hosts.filter((h) => !h.failed && !h.unreachable && !h.ended);
  }

  /**
   * Variables for a task on a host, low to high precedence (README: Variable precedence); `extra`
   * is the loop item. A fresh object each time: never spread it (its templated values are getters).
   */
  varsFor(play: PlannedPlay, t: PlannedTask, h: HostState, extra: Vars = {}): Vars {
    return lazyTemplatedVars(
      {
        ...t.role?.defaults,
        ...h.inventoryVars,
        ...play.vars,
        ...t.role?.vars,
        ...t.vars,
        ...h.runtime,
        ...h.loopVars,
        ...this.opts.extraVars,
        ...extra,
        inventory_hostname: h.name,
        groups: this.groups,
        hostvars: this.hostvars,
        play_hosts: play.hosts,
        check_mode: this.opts.check,
        ansible_check_mode: this.opts.check,
        playbook_dir: dirname(play.pos.file),
        role_path: t.role?.dir,
        ...(h.facts ? { facts: h.facts } : {}),
      },
      this.dataNames(h, extra),
    );
  }

  /**
   * The names whose winning value is data, not a template: fabric's own, the loop's items (the
   * loop was rendered already), include-loop items and registered/set_fact values unless an extra
   * var of the same name wins. Host output reaches templates only as text, never as a template.
   */
  private dataNames(h: HostState, extra: Vars): ReadonlySet<string> {
    const loopNames = Object.keys(h.loopVars);
    if (!h.dataVars.size && !loopNames.length && !Object.keys(extra).length) return MAGIC;
    const names = new Set(MAGIC);
    for (const k of [...h.dataVars, ...loopNames]) if (!Object.hasOwn(this.opts.extraVars, k)) names.add(k);
    for (const k of Object.keys(extra)) names.add(k);
    return names;
  }

  /** The host's setup facts, gathered once (one round trip). */
  async setupFacts(h: HostState): Promise<void> {
    if (h.facts) return;
    h.factsPending ??= this.pool.get(h.target).then((c) => gatherFacts((s) => c.exec(s)));
    h.facts = await h.factsPending;
    this.hostvars[h.name]!.facts = h.facts;
  }

  /** A registered result or fact; `template` only for values an operator wrote (include_vars). */
  setRuntime(h: HostState, key: string, value: unknown, kind: 'data' | 'template' = 'data'): void {
    h.runtime[key] = value;
    if (kind === 'data') h.dataVars.add(key);
    else h.dataVars.delete(key);
    this.hostvars[h.name]![key] = value;
  }
}
