import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UnreachableError, type Connection } from '../connection/types.js';
import { EXIT, InputError } from '../errors.js';
import type { Inventory } from '../inventory/index.js';
import { schemaErrors } from '../load/schema.js';
import type { Facts, ModuleContext, ModuleResult, Vars } from '../modules/types.js';
import type { PlanItem, PlannedPlay, PlannedTask, Plan } from '../plan/types.js';
import { forEachTask } from '../plan/walk.js';
import { compileCondition, evaluateAll } from '../vars/conditions.js';
import { checkTemplate, isTemplated, renderDeep, renderText } from '../vars/template.js';
import { ConnectionPool, hostTarget, type PoolOptions } from './connections.js';
import type { HostResult, HostStats, HostStatus, Reporter, TaskInfo } from './events.js';
import { gatherFacts } from './facts.js';
import { mapLimit } from '../map-limit.js';
import { emptyStats, type HostState } from './host-state.js';
import { lazyTemplatedVars } from './lazy-vars.js';
import { createModuleContext } from './module-context.js';
import { firstProbe, ReadAhead, readAheadBatch, readAheadConnection, type RecordedProbe } from './read-ahead.js';


/** Variables fabric provides: never templates themselves. */
const MAGIC = new Set(['inventory_hostname', 'groups', 'hostvars', 'play_hosts', 'check_mode', 'playbook_dir', 'role_path', 'facts']);

export interface RunOptions extends PoolOptions {
  inventory: Inventory;
  reporter: Reporter;
  check: boolean;
  diff: boolean;
  /** -v count: debug tasks with a higher `verbosity` are skipped. */
  verbosity?: number;
  forks: number;
  extraVars: Vars;
  becomePassword?: string;
  /** Aborted on SIGINT: no new task starts; running ones finish. */
  signal?: AbortSignal;
  /** After the abort, how long running tasks may take before the run gives up on them (default 30 s). */
  interruptGraceMs?: number;
}

export const DEFAULT_INTERRUPT_GRACE_MS = 30_000;

export interface RunSummary {
  exitCode: number;
  stats: Record<string, HostStats>;
  interrupted: boolean;
}

/** A failure that is the task's, not the host's: reported as failed with this message. */
class TaskError extends Error {}

function resultOf(e: unknown): ModuleResult {
  return { changed: false, failed: true, msg: e instanceof InputError ? e.located : (e as Error).message };
}

/** Runs a static plan: the linear strategy, task by task over all hosts of a play. */
export class Executor {
  private readonly hosts = new Map<string, HostState>();
  private readonly pool: ConnectionPool;
  private readonly hostvars: Record<string, Vars> = {};
  private readonly groups: Record<string, string[]>;
  /** Each task's section, in run order, and its place there (where a read-ahead starts from). */
  private readonly sectionOf = new Map<PlannedTask, { order: PlannedTask[]; index: number }>();
  /** Resolves once the grace period after an abort is over: tasks still running are abandoned. */
  private readonly giveUp: Promise<void>;
  private gaveUp = false;

  constructor(private readonly opts: RunOptions) {
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

  private host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      const inventoryVars = this.opts.inventory.hostVars(name);
      // Only the fabric_* connection variables are read here; templates in them render on read.
      const vars = lazyTemplatedVars({ ...inventoryVars, ...this.opts.extraVars, inventory_hostname: name, groups: this.groups, hostvars: this.hostvars }, MAGIC);
      h = {
        name,
        inventoryVars,
        target: hostTarget(name, vars),
        runtime: {},
        failed: false,
        unreachable: false,
        notified: new Set(),
        stats: emptyStats(),
        readAhead: new ReadAhead(),
        readAheadDue: true,
      };
      this.hosts.set(name, h);
    }
    return h;
  }

  async run(plan: Plan): Promise<RunSummary> {
    const { reporter } = this.opts;
    try {
      for (const play of plan.plays) {
        if (this.opts.signal?.aborted) break;
        await this.runPlay(play);
      }
    } finally {
      await this.pool.closeAll();
    }
    const stats: Record<string, HostStats> = {};
    for (const h of this.hosts.values()) stats[h.name] = h.stats;
    const interrupted = !!this.opts.signal?.aborted;
    const all = Object.values(stats);
    const exitCode = interrupted
      ? EXIT.interrupted
      : all.some((s) => s.failed > 0)
        ? EXIT.failed
        : all.some((s) => s.unreachable > 0)
          ? EXIT.unreachable
          : EXIT.ok;
    reporter.onEvent({ type: 'run_end', stats, exitCode, interrupted });
    return { exitCode, stats, interrupted };
  }

  private batches(play: PlannedPlay): string[][] {
    const n = play.hosts.length;
    if (play.serial === undefined || n === 0) return [play.hosts];
    const s = String(play.serial);
    const size = s.endsWith('%') ? Math.max(1, Math.floor((n * Number(s.slice(0, -1))) / 100)) : Math.max(1, Number(s));
    const out: string[][] = [];
    for (let i = 0; i < n; i += size) out.push(play.hosts.slice(i, i + size));
    return out;
  }

  private async runPlay(play: PlannedPlay): Promise<void> {
    for (const batch of this.batches(play)) {
      if (this.opts.signal?.aborted) break;
      const hosts = batch.map((n) => this.host(n)).filter((h) => !h.unreachable);
      // Handshakes overlap instead of queueing behind the --forks workers; a failure is reported by the first task.
      if (needsConnection(play)) for (const h of hosts) void this.pool.get(h.target).catch(() => undefined);
      this.opts.reporter.onEvent({ type: 'play_start', name: play.name, hosts: batch, check: this.opts.check });
      for (const section of play.sections) {
        const order: PlannedTask[] = [];
        forEachTask(section, (t) => order.push(t));
        order.forEach((t, index) => this.sectionOf.set(t, { order, index }));
        await this.runItems(play, section, hosts);
        await this.flushHandlers(play, hosts);
        if (this.opts.signal?.aborted) break;
      }
      this.opts.reporter.onEvent({ type: 'play_end', name: play.name });
    }
  }

  private active(hosts: HostState[]): HostState[] {
    return hosts.filter((h) => !h.failed && !h.unreachable);
  }

  private async runItems(play: PlannedPlay, items: PlanItem[], hosts: HostState[]): Promise<void> {
    for (const item of items) {
      if (this.opts.signal?.aborted) return;
      if (item.kind === 'task') {
        await this.runTask(play, item, this.active(hosts));
        continue;
      }
      const entered = this.active(hosts);
      if (!entered.length) continue;
      await this.runItems(play, item.block, entered);
      const failedHere = entered.filter((h) => h.failed && !h.unreachable);
      if (item.rescue.length && failedHere.length) {
        for (const h of failedHere) {
          h.failed = false;
          h.stats.failed--;
          h.stats.rescued++;
        }
        await this.runItems(play, item.rescue, failedHere);
      }
      if (item.always.length) {
        const failedBefore = entered.filter((h) => h.failed);
        failedBefore.forEach((h) => (h.failed = false));
        await this.runItems(play, item.always, entered.filter((h) => !h.unreachable));
        failedBefore.forEach((h) => (h.failed = true));
      }
    }
  }

  private async flushHandlers(play: PlannedPlay, hosts: HostState[]): Promise<void> {
    // Handlers may notify later handlers: repeat until nothing is pending.
    for (let pass = 0; pass < 10; pass++) {
      if (this.opts.signal?.aborted) return; // a handler is a new task: none starts after an interrupt
      let ran = false;
      for (const handler of play.handlers) {
        const targets = this.active(hosts).filter((h) => handler.listen.some((n) => h.notified.has(n)));
        if (!targets.length) continue;
        ran = true;
        for (const h of targets) handler.listen.forEach((n) => h.notified.delete(n));
        await this.runTask(play, handler, targets);
      }
      if (!ran) break;
    }
  }

  /**
   * Variables for a task on a host, low to high precedence (README: Variable precedence); `extra`
   * is the loop item. A fresh object each time: never spread it (its templated values are getters).
   */
  private varsFor(play: PlannedPlay, t: PlannedTask, h: HostState, extra: Vars = {}): Vars {
    return lazyTemplatedVars({
      ...t.role?.defaults,
      ...h.inventoryVars,
      ...play.vars,
      ...t.role?.vars,
      ...t.vars,
      ...h.runtime,
      ...this.opts.extraVars,
      ...extra,
      inventory_hostname: h.name,
      groups: this.groups,
      hostvars: this.hostvars,
      play_hosts: play.hosts,
      check_mode: this.opts.check,
      playbook_dir: play.pos.file,
      role_path: t.role?.dir,
      ...(h.facts ? { facts: h.facts } : {}),
    }, MAGIC);
  }

  private async facts(h: HostState): Promise<void> {
    if (h.facts) return;
    h.factsPending ??= this.pool.get(h.target).then((c) => gatherFacts((s) => c.exec(s)));
    h.facts = await h.factsPending;
    this.hostvars[h.name]!.facts = h.facts;
  }

  private async runTask(play: PlannedPlay, t: PlannedTask, hosts: HostState[]): Promise<void> {
    if (!hosts.length) return;
    const { reporter } = this.opts;
    const targets = t.runOnce ? hosts.slice(0, 1) : hosts;
    const info = this.shownTask(play, t, targets[0]!);
    reporter.onEvent({ type: 'task_start', task: info, hosts: targets.map((h) => h.name) });
    await mapLimit(targets, this.opts.forks, async (h) => {
      const started = Date.now();
      // An interrupted run waits for a running task only up to the grace period; closing the
      // connections afterwards ends what still runs on the host.
      const outcome = await Promise.race([this.runOnHost(play, t, h), this.giveUp.then(() => this.abandoned(started))]);
      this.record(t, h, outcome);
      if (t.runOnce) {
        // run_once: the result is every host's (Ansible sets the registered variable on all of them).
        for (const other of hosts.slice(1)) if (t.register) this.setRuntime(other, t.register, this.registered(outcome));
      }
      reporter.onEvent({ type: 'host_result', task: info, host: h.name, outcome });
    });
    reporter.onEvent({ type: 'task_end', task: info });
  }

  /**
   * The task as the report shows it: a templated name is rendered with the first host's variables,
   * as Ansible does; a name that cannot be rendered yet (a variable set later) stays as written.
   */
  private shownTask(play: PlannedPlay, t: PlannedTask, first: HostState): TaskInfo {
    if (!isTemplated(t.info.name)) return t.info;
    try {
      return { ...t.info, name: renderText(t.info.name, this.varsFor(play, t, first), t.pos) };
    } catch {
      return t.info;
    }
  }

  private abandoned(started: number): HostResult {
    const s = ((this.opts.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS) / 1000).toFixed(0);
    const msg = `interrupted: the task was still running ${s} s after the interrupt; abandoned (stopped on the host)`;
    return { status: 'failed', result: { changed: false, failed: true, msg }, durationMs: Date.now() - started };
  }

  private record(t: PlannedTask, h: HostState, o: HostResult): void {
    const s = h.stats;
    switch (o.status) {
      case 'unreachable':
        s.unreachable++;
        h.unreachable = true;
        break;
      case 'failed':
        if (o.ignored) s.ignored++;
        else {
          s.failed++;
          h.failed = true;
        }
        break;
      case 'skipped':
        s.skipped++;
        break;
      case 'changed':
        s.changed++;
        s.ok++;
        break;
      default:
        s.ok++;
    }
    if (o.status === 'changed') t.notify.forEach((n) => h.notified.add(n));
    h.readAheadDue = o.status === 'ok' || o.status === 'skipped';
    if (t.register && o.status !== 'unreachable') this.setRuntime(h, t.register, this.registered(o));
    if (o.result.facts && o.status !== 'failed') for (const [k, v] of Object.entries(o.result.facts)) this.setRuntime(h, k, v);
  }

  private registered(o: HostResult): Vars {
    const r: Vars = { ...o.result, changed: o.status === 'changed', failed: o.status === 'failed', skipped: o.status === 'skipped' };
    delete r.facts;
    if (o.items) r.results = o.items.map((i) => ({ ...i.result, item: i.item }));
    return r;
  }

  private setRuntime(h: HostState, key: string, value: unknown): void {
    h.runtime[key] = value;
    this.hostvars[h.name]![key] = value;
  }

  private async runOnHost(play: PlannedPlay, t: PlannedTask, h: HostState): Promise<HostResult> {
    const started = Date.now();
    const done = (status: HostStatus, result: ModuleResult, extra: Partial<HostResult> = {}): HostResult => ({
      status,
      result,
      durationMs: Date.now() - started,
      ...extra,
    });
    try {
      if (t.needsFacts && play.gatherFacts) await this.facts(h);
      await this.readAheadFrom(play, t, h);
      const vars = this.varsFor(play, t, h);
      if (t.loop === undefined) {
        const [status, result] = await this.runItem(play, t, h, vars);
        // ignore_errors covers a module's own failure too, not only a thrown one.
        return done(status, result, { ignored: status === 'failed' && t.ignoreErrors, ...this.delegation(t, vars) });
      }
      const items = renderDeep(t.loop, vars, t.pos);
      if (!Array.isArray(items)) throw new TaskError(`loop must be a list, got ${typeof items}`);
      const results: NonNullable<HostResult['items']> = [];
      for (const item of items) {
        const [status, result] = await this.runItem(play, t, h, this.varsFor(play, t, h, { [t.loopVar]: item }));
        results.push({ item, status, result });
      }
      const failed = results.find((r) => r.status === 'failed');
      const changed = results.some((r) => r.status === 'changed');
      const allSkipped = results.length > 0 && results.every((r) => r.status === 'skipped');
      const status: HostStatus = failed ? 'failed' : changed ? 'changed' : allSkipped || !results.length ? 'skipped' : 'ok';
      const result: ModuleResult = { changed, failed: !!failed, msg: failed?.result.msg ?? (results.length ? undefined : 'empty loop') };
      return done(status, result, { items: results, ignored: !!failed && t.ignoreErrors, ...this.delegation(t, vars) });
    } catch (e) {
      if (e instanceof UnreachableError) return done('unreachable', { changed: false, unreachable: true, msg: e.message });
      return done('failed', resultOf(e), { ignored: t.ignoreErrors });
    }
  }

  private delegation(t: PlannedTask, vars: Vars): Partial<HostResult> {
    return t.delegateTo ? { delegatedTo: String(renderDeep(t.delegateTo, vars, t.pos)) } : {};
  }

  /** One execution of the module: when, check mode, render, run, changed_when/failed_when. */
  private async runItem(play: PlannedPlay, t: PlannedTask, h: HostState, vars: Vars): Promise<[HostStatus, ModuleResult]> {
    // An abandoned task's next loop item must not reopen a connection the run has closed.
    if (this.gaveUp) throw new TaskError('interrupted');
    try {
      if (t.when.length && !evaluateAll(t.when, vars)) return ['skipped', { changed: false, skipped: true, msg: 'conditional result was false' }];
    } catch (e) {
      throw new TaskError(`${t.pos.file}:${t.pos.line}: ${(e as Error).message}`);
    }
    const check = this.checkFor(t);
    if (check === 'skip') return ['skipped', { changed: false, skipped: true, msg: 'skipped in check mode: a command could change the host (add changed_when: false or check_mode: false for a read-only probe)' }];
    const args = this.renderArgs(t, vars);
    const delegate = t.delegateTo ? this.host(String(renderDeep(t.delegateTo, vars, t.pos))) : h;
    // Every exec of a module goes through the read-ahead of the host it reaches (delegate_to too).
    const conn = t.module.controllerOnly ? undefined : readAheadConnection(await this.pool.get(delegate.target), delegate.readAhead);
    const ctx = this.moduleContext(play, t, h, delegate, vars, check, conn, async () => {
      await this.facts(delegate);
      return delegate.facts!;
    });
    let result: ModuleResult;
    try {
      result = await t.module.run(args, ctx);
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      result = resultOf(e);
    }
    // changed_when/failed_when see the result under the register name (vars is this run's own object).
    if (t.register) Object.defineProperty(vars, t.register, { value: { ...result, failed: !!result.failed }, enumerable: true, configurable: true, writable: true });
    try {
      if (t.changedWhen) result.changed = evaluateAll(t.changedWhen, vars);
      if (t.failedWhen) result.failed = evaluateAll(t.failedWhen, vars);
    } catch (e) {
      throw new TaskError(`${t.pos.file}:${t.pos.line}: ${(e as Error).message}`);
    }
    if (result.failed) return ['failed', result];
    if (result.skipped) return ['skipped', result];
    return [result.changed ? 'changed' : 'ok', result];
  }

  /** Check mode for a task: a command that could change the host is skipped ('skip') unless it is a read-only probe. */
  private checkFor(t: PlannedTask): boolean | 'skip' {
    const readOnlyProbe = t.changedWhen?.length === 1 && t.changedWhen[0]!.source === 'false';
    const check = t.checkMode ?? this.opts.check;
    if (check && t.module.arbitraryCommand) return readOnlyProbe ? false : 'skip';
    return check;
  }

  /** The task's arguments rendered with vars, re-validated when templates made them. */
  private renderArgs(t: PlannedTask, vars: Vars): Record<string, unknown> {
    let args: Record<string, unknown>;
    try {
      args = renderDeep(t.args, vars, t.pos) as Record<string, unknown>;
    } catch (e) {
      throw new TaskError(e instanceof InputError ? e.located : (e as Error).message);
    }
    if (t.argsTemplated) {
      const errs = schemaErrors(t.module.schema, args, { posAt: () => t.pos, keyPosAt: () => t.pos }, [], t.info.module);
      if (errs.length) throw new TaskError(errs.map((e) => e.located).join('; '));
    }
    return args;
  }

  private moduleContext(
    play: PlannedPlay,
    t: PlannedTask,
    h: HostState,
    delegate: HostState,
    vars: Vars,
    check: boolean,
    conn: Connection | undefined,
    facts: () => Promise<Facts>,
  ): ModuleContext {
    const become = t.become ?? play.become ?? Boolean(vars.fabric_become);
    const becomeUser = t.becomeUser ?? play.becomeUser ?? (vars.fabric_become_user as string | undefined) ?? 'root';
    return createModuleContext({
      host: h.name,
      conn: conn ?? {
        host: h.name,
        stats: { execs: 0, uploads: 0 },
        exec: () => Promise.reject(new Error(`${t.info.module} runs on the controller only`)),
        upload: () => Promise.reject(new Error(`${t.info.module} runs on the controller only`)),
        close: async () => undefined,
      },
      loginUser: delegate.target.user,
      become: become ? { user: becomeUser, password: this.opts.becomePassword } : undefined,
      check,
      diff: this.opts.diff,
      verbosity: this.opts.verbosity ?? 0,
      vars,
      facts,
      render: (text, where) => renderText(text, vars, { file: where, line: 1, col: 1 }),
      evaluate: (expr) => compileCondition(expr, t.pos).evaluate(vars),
      statics: {
        resolveFile: (kind, src) => {
          const found = [join(t.baseDir, kind, src), resolve(t.baseDir, src)].find((p) => existsSync(p));
          if (!found) throw new TaskError(`${kind} '${src}' not found`);
          return found;
        },
        checkTemplate: (text, where) => checkTemplate(text, { file: where, line: 1, col: 1 }),
      },
    });
  }

  /**
   * Reads ahead the probes of the section's tasks from t on, in one round trip for host h
   * (src/run/read-ahead.ts): at the host's first task, and again once its last task changed
   * nothing. A host converging has most of them dropped by its changes, a host already in shape
   * uses them all; merged (probe-merge.ts), a batch costs a few programs on the host, so the first
   * task reads ahead even though a converging host wastes it (measured: no slower). Tasks whose
   * probe cannot be known yet (loops, delegation, run_once, a condition or argument that needs a
   * later result, facts not gathered yet) are left to probe live.
   */
  private async readAheadFrom(play: PlannedPlay, t: PlannedTask, h: HostState): Promise<void> {
    const at = this.sectionOf.get(t);
    if (!at || !h.readAheadDue || h.readAhead.size > 0) return;
    h.readAheadDue = false;
    const probes: RecordedProbe[] = [];
    for (const next of at.order.slice(at.index)) {
      if (next.module.controllerOnly || next.loop !== undefined || next.delegateTo || next.runOnce) continue;
      const p = await this.probeOf(play, next, h);
      if (p !== undefined) probes.push(p);
    }
    if (probes.length < 2) return; // a single probe costs the same round trip either way
    try {
      const conn = await this.pool.get(h.target);
      const { scripts, results } = await readAheadBatch(conn, probes);
      h.readAhead.fill(scripts, results);
    } catch {
      // An unreachable host is reported by the task itself.
    }
  }

  /** The probe task t would send first on h, found by running its module against a recorder. */
  private async probeOf(play: PlannedPlay, t: PlannedTask, h: HostState): Promise<RecordedProbe | undefined> {
    if (t.needsFacts && play.gatherFacts && !h.facts) return undefined;
    try {
      const vars = this.varsFor(play, t, h);
      if (t.when.length && !evaluateAll(t.when, vars)) return undefined;
      const check = this.checkFor(t);
      if (check === 'skip') return undefined;
      const args = this.renderArgs(t, vars);
      const noFacts = () => Promise.reject(new Error('facts are not read ahead'));
      return await firstProbe((conn) => t.module.run(args, this.moduleContext(play, t, h, h, vars, check, conn, h.facts ? async () => h.facts! : noFacts)), h.name);
    } catch {
      return undefined;
    }
  }
}

/** Whether any task of the play runs on its hosts (not only debug/set_fact/assert/fail). */
function needsConnection(play: PlannedPlay): boolean {
  let any = false;
  for (const s of [...play.sections, play.handlers]) forEachTask(s, (t) => (any ||= !t.module.controllerOnly));
  return any;
}
