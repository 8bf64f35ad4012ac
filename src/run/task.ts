import { UnreachableError, type Connection } from '../connection/types.js';
import { InputError } from '../errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../map-limit.js';
import { FactError } from '../modules/lib/facts.js';
import type { ModuleResult, Vars } from '../modules/types.js';
import { loopItemVars } from '../plan/loop-control.js';
import type { PlannedPlay, PlannedTask } from '../plan/types.js';
import { compileCondition, evaluateAll } from '../vars/conditions.js';
import { isTemplated, renderDeep, renderText } from '../vars/template.js';
import type { HostResult, HostStatus, TaskInfo } from './events.js';
import type { HostState } from './host-state.js';
import { createModuleContext } from './module-context.js';
import { prefetchSection } from './prefetch.js';
import { prepareTask, TaskError, type ReadyTask } from './prepare.js';
import { DEFAULT_INTERRUPT_GRACE_MS, type RunContext } from './run-context.js';

function resultOf(e: unknown): ModuleResult {
  return { changed: false, failed: true, msg: e instanceof InputError ? e.located : (e as Error).message };
}

/** One task over the hosts of a play (at most --forks at once, or its throttle), reported as events; the outcomes by host. */
export async function runTask(rc: RunContext, play: PlannedPlay, t: PlannedTask, hosts: HostState[]): Promise<Map<HostState, HostResult>> {
  const outcomes = new Map<HostState, HostResult>();
  if (!hosts.length) return outcomes;
  const { reporter } = rc.opts;
  const targets = t.runOnce ? hosts.slice(0, 1) : hosts;
  const info = shownTask(rc, play, t, targets[0]!);
  if (rc.opts.confirm && !(await rc.opts.confirm(info))) return outcomes;
  reporter.onEvent({ type: 'task_start', task: info, hosts: targets.map((h) => h.name) });
  await mapLimit(targets, Math.min(rc.opts.forks, t.throttle ?? Infinity), async (h) => {
    const started = Date.now();
    // An interrupted run waits for a running task only up to the grace period; closing the
    // connections afterwards ends what still runs on the host.
    const ran = await Promise.race([runOnHost(rc, play, t, h), rc.giveUp.then(() => abandoned(rc, started))]);
    const outcome = rc.opts.plan?.judge ? rc.opts.plan.judge(info, h.name, ran) : ran;
    record(rc, play, t, h, outcome);
    outcomes.set(h, outcome);
    // run_once: the result is every host's (Ansible sets the registered variable on all of them).
    if (t.runOnce && t.register) for (const other of hosts.slice(1)) rc.setRuntime(other, t.register, registered(outcome));
    reporter.onEvent({ type: 'host_result', task: info, host: h.name, outcome });
  });
  reporter.onEvent({ type: 'task_end', task: info });
  rc.limits.afterTask(play, t, targets);
  return outcomes;
}

/**
 * The task as the report shows it: a templated name is rendered with the first host's variables,
 * as Ansible does; a name that cannot be rendered yet (a variable set later) stays as written.
 */
function shownTask(rc: RunContext, play: PlannedPlay, t: PlannedTask, first: HostState): TaskInfo {
  if (!isTemplated(t.info.name)) return t.info;
  try {
    return { ...t.info, name: renderText(t.info.name, rc.varsFor(play, t, first), t.pos) };
  } catch {
    return t.info;
  }
}

function abandoned(rc: RunContext, started: number): HostResult {
  const s = ((rc.opts.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS) / 1000).toFixed(0);
  const msg = `interrupted: the task was still running ${s} s after the interrupt; abandoned (stopped on the host)`;
  return { status: 'failed', result: { changed: false, failed: true, msg }, durationMs: Date.now() - started };
}

function record(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState, o: HostResult): void {
  const s = h.stats;
  switch (o.status) {
    case 'unreachable':
      if (o.ignored) {
        // ignore_unreachable: Ansible counts it ok and ignored; the next task tries to connect again.
        s.ok++;
        s.ignored++;
        rc.pool.forget(h.target.host);
      } else {
        s.unreachable++;
        h.unreachable = true;
      }
      break;
    case 'failed':
      if (o.ignored) {
        // Ansible's recap counts an ignored failure as ok and ignored.
        s.ok++;
        s.ignored++;
      } else {
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
      if (o.result.meta === undefined) s.ok++; // a meta task is not counted, as in Ansible's recap
  }
  // a notification names a handler or a topic: every handler it names is due once
  if (o.status === 'changed' && t.notify.length) for (const hd of play.handlers) if (hd.listen.some((n) => t.notify.includes(n))) h.notified.add(hd);
  h.prefetchDue = o.status === 'ok' || o.status === 'skipped';
  if (t.register && o.status !== 'unreachable') rc.setRuntime(h, t.register, registered(o));
  if (o.result.facts && o.status !== 'failed') {
    const kind = o.result.factsAreTemplates ? 'template' : 'data';
    for (const [k, v] of Object.entries(o.result.facts)) rc.setRuntime(h, k, v, kind);
  }
}

function registered(o: HostResult): Vars {
  const r: Vars = { ...o.result, changed: o.status === 'changed', failed: o.status === 'failed', skipped: o.status === 'skipped' };
  delete r.facts;
  delete r.factsAreTemplates;
  if (o.items) r.results = o.items.map((i) => ({ ...i.result, item: i.item }));
  return r;
}

/** The task on one host: its loop, each item's outcome, the task's outcome. */
async function runOnHost(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState): Promise<HostResult> {
  const started = Date.now();
  const done = (status: HostStatus, result: ModuleResult, extra: Partial<HostResult> = {}): HostResult => ({ status, result, durationMs: Date.now() - started, ...extra });
  try {
    if (t.needsFacts) await rc.setupFacts(h);
    await prefetchSection(rc, play, t, h);
    const vars = rc.varsFor(play, t, h);
    if (t.loop === undefined) {
      const [status, result] = await runItem(rc, play, t, h, vars, () => rc.varsFor(play, t, h));
      // ignore_errors covers a module's own failure too, not only a thrown one.
      return done(status, result, { ignored: status === 'failed' && t.ignoreErrors, ...delegation(t, vars) });
    }
    const items = renderDeep(t.loop, vars, t.pos);
    if (!Array.isArray(items)) throw new TaskError(`loop must be a list, got ${typeof items}`);
    const results: NonNullable<HostResult['items']> = [];
    const lc = t.loopControl;
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && lc.pauseMs && !(await pause(rc, lc.pauseMs))) break;
      const itemVars = () => rc.varsFor(play, t, h, loopItemVars(lc, items, i));
      const first = itemVars();
      const label = lc.label === undefined ? undefined : renderText(lc.label, first, t.pos);
      const [status, result] = await runItem(rc, play, t, h, first, itemVars);
      results.push({ item: items[i], status, result, ...(label !== undefined ? { label } : {}) });
    }
    const failed = results.find((r) => r.status === 'failed');
    const changed = results.some((r) => r.status === 'changed');
    const allSkipped = results.length > 0 && results.every((r) => r.status === 'skipped');
    const status: HostStatus = failed ? 'failed' : changed ? 'changed' : allSkipped || !results.length ? 'skipped' : 'ok';
    const result: ModuleResult = { changed, failed: !!failed, msg: failed?.result.msg ?? (results.length ? undefined : 'empty loop') };
    return done(status, result, { items: results, ignored: !!failed && t.ignoreErrors, ...delegation(t, vars) });
  } catch (e) {
    if (e instanceof UnreachableError) return done('unreachable', { changed: false, unreachable: true, msg: e.message }, { ignored: t.ignoreUnreachable });
    return done('failed', resultOf(e), { ignored: t.ignoreErrors });
  }
}

/** Waits ms (retry delay, loop pause); false when the run was interrupted meanwhile. */
export async function pause(rc: RunContext, ms: number): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: rc.opts.signal });
    return !rc.halted;
  } catch {
    return false;
  }
}

function delegation(t: PlannedTask, vars: Vars): Partial<HostResult> {
  return t.delegateTo ? { delegatedTo: String(renderDeep(t.delegateTo, vars, t.pos)) } : {};
}

/**
 * The task once (or one loop item), with until/retries/delay: run again, each attempt prepared
 * anew and reading the host afresh, until `until` holds (without it: until it does not fail), at
 * most retry.attempts times. The result says how many attempts it took, as Ansible's does.
 */
async function runItem(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState, vars: Vars, again: () => Vars): Promise<[HostStatus, ModuleResult]> {
  if (!t.retry) return attempt(rc, play, t, h, vars, false);
  const { until, attempts, delayMs } = t.retry;
  let last: [HostStatus, ModuleResult] | undefined;
  for (let n = 1; n <= attempts; n++) {
    // A fresh object per attempt: the registered result of this attempt is defined on it.
    const these = n === 1 ? vars : again();
    last = await attempt(rc, play, t, h, these, n > 1);
    const [status, result] = last;
    if (status === 'skipped') return last;
    result.attempts = n;
    let done: boolean;
    try {
      done = until ? evaluateAll(until, these) : status !== 'failed';
    } catch (e) {
      throw new TaskError(`${t.pos.file}:${t.pos.line}: until: ${(e as Error).message}`);
    }
    if (done) return last;
    if (n === attempts || rc.halted) break;
    rc.opts.reporter.onEvent({ type: 'host_retry', task: t.info, host: h.name, attempt: n, left: attempts - n });
    if (!(await pause(rc, delayMs))) break; // interrupted while waiting: the last attempt's result stands
  }
  const [, result] = last!;
  return ['failed', { ...result, failed: true, msg: result.failed && result.msg ? result.msg : `${until ? 'until condition still false' : 'still failing'} after ${result.attempts} attempts` }];
}

/** One execution of the module: prepare, its facts, run, then changed_when/failed_when. */
async function attempt(rc: RunContext, play: PlannedPlay, t: PlannedTask, h: HostState, vars: Vars, fresh: boolean): Promise<[HostStatus, ModuleResult]> {
  // An abandoned task's next loop item must not reopen a connection the run has closed.
  if (rc.gaveUp) throw new TaskError('interrupted');
  const prepared = prepareTask(rc, play, t, h, vars);
  if (prepared.kind === 'skip') return ['skipped', prepared.result];
  // A retry waits for the host to change by itself: nothing read before may answer it.
  if (fresh) prepared.delegate.hostFacts.drop();
  let result: ModuleResult;
  try {
    result = await runModule(rc, t, h, vars, prepared);
  } catch (e) {
    if (e instanceof UnreachableError) throw e;
    result = e instanceof FactError ? { changed: false, failed: true, msg: e.message } : resultOf(e);
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

const controllerOnly = (module: string): Connection => ({
  host: module,
  stats: { execs: 0, uploads: 0 },
  exec: () => Promise.reject(new Error(`${module} runs on the controller only`)),
  upload: () => Promise.reject(new Error(`${module} runs on the controller only`)),
  close: async () => undefined,
});

/** The connection of a module that opens it itself (waitsForConnection), until it does. */
const notConnected = (host: string): Connection => ({
  host,
  stats: { execs: 0, uploads: 0 },
  exec: () => Promise.reject(new UnreachableError(host, 'not connected yet: the module must call ctx.connect()')),
  upload: () => Promise.reject(new UnreachableError(host, 'not connected yet: the module must call ctx.connect()')),
  close: async () => undefined,
});

/** The module with its facts (from the delegate's cache, or one round trip) and its context. */
async function runModule(rc: RunContext, t: PlannedTask, h: HostState, vars: Vars, p: ReadyTask): Promise<ModuleResult> {
  const { delegate } = p;
  const conn = t.module.controllerOnly ? controllerOnly(t.info.module) : t.module.waitsForConnection ? notConnected(delegate.target.host) : await rc.pool.get(delegate.target);
  const seen = rc.opts.plan?.factsSeen;
  const facts = await delegate.hostFacts.named(p.factNames, p.requests, seen && ((reads) => seen(t.info, h.name, delegate.name, reads)));
  const ctx = createModuleContext({
    host: h.name,
    conn,
    hostFacts: delegate.hostFacts,
    loginUser: delegate.target.user,
    become: p.become,
    environment: p.environment,
    timeoutMs: p.timeoutMs,
    check: p.check,
    diff: rc.opts.diff,
    verbosity: rc.opts.verbosity ?? 0,
    vars,
    facts: async () => {
      await rc.setupFacts(delegate);
      return delegate.facts!;
    },
    render: (text, where) => renderText(text, vars, { file: where, line: 1, col: 1 }),
    evaluate: (expr) => compileCondition(expr, t.pos).evaluate(vars),
    statics: t.statics,
    connect: (o) => (t.module.controllerOnly ? Promise.reject(new Error(`${t.info.module} runs on the controller only`)) : rc.pool.reopen(delegate.target, o)),
  });
  return t.module.run(p.args, ctx, facts);
}
