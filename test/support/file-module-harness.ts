import type { Connection } from '../../src/connection/types.js';
import type { Locator } from '../../src/load/schema.js';
import type { ModuleContext, ModuleDef, ModuleResult, StaticContext, Vars } from '../../src/modules/types.js';
import { argErrors, taskStatics } from '../../src/plan/task-args.js';
import { HostFacts } from '../../src/run/host-facts.js';
import { createModuleContext } from '../../src/run/module-context.js';
import { declaredFacts } from '../../src/run/prepare.js';
import { renderText } from '../../src/vars/template.js';

export interface HarnessOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Vars;
  /** A role directory holding files/ and templates/. */
  roleDir?: string;
}

const here = (file: string) => ({ file, line: 1, col: 1 });

/** Where a test's arguments "live": there is no YAML file, so every position is line 1. */
export const testLocator: Locator = { posAt: () => here('task.yml'), keyPosAt: () => here('task.yml') };

export function staticContext(roleDir?: string): StaticContext {
  return taskStatics(roleDir ?? '/nonexistent', roleDir ?? '/nonexistent', here('task.yml'));
}

/** The real ModuleContext over conn, with the real template renderer and the engine's fact cache. */
export function moduleContext(conn: Connection, o: HarnessOptions = {}, hostFacts = new HostFacts(async () => conn)): ModuleContext {
  const vars = o.vars ?? {};
  return createModuleContext({
    host: conn.host,
    conn,
    hostFacts,
    loginUser: 'root',
    check: !!o.check,
    diff: !!o.diff,
    vars,
    facts: () => Promise.reject(new Error('facts are not used by file modules')),
    render: (text, where) => renderText(text, vars, here(where)),
    evaluate: () => {
      throw new Error('evaluate is not used by file modules');
    },
    statics: staticContext(o.roleDir),
    connect: async () => conn, // one connection, never reopened
  });
}

const site = { loc: testLocator, path: [], pos: here('task.yml') };

/** The messages the engine would report for args before any host is touched. */
export function staticErrors<A>(mod: ModuleDef<A, any>, args: unknown, roleDir?: string): string[] {
  return argErrors(mod, args as Record<string, unknown>, site, staticContext(roleDir), false).map((e) => e.located);
}

/** The messages the engine reports once `{{ }}` values are rendered (the same checks, every value judged). */
export function renderedErrors<A>(mod: ModuleDef<A, any>, args: unknown, roleDir?: string): string[] {
  return argErrors(mod, args as Record<string, unknown>, site, staticContext(roleDir), true).map((e) => e.located);
}

export interface RunStats {
  result: ModuleResult;
  execs: number;
  uploads: number;
}

/** Validates like the engine, reads the module's facts through the engine's cache, runs once, and counts the round trips. */
export async function runModule<A>(mod: ModuleDef<A, any>, args: A, conn: Connection, o: HarnessOptions = {}): Promise<RunStats> {
  const errs = staticErrors(mod, args, o.roleDir);
  if (errs.length) throw new Error(`invalid arguments: ${errs.join('; ')}`);
  const e0 = conn.stats.execs;
  const u0 = conn.stats.uploads;
  const hostFacts = new HostFacts(async () => conn);
  const { factNames, requests } = declaredFacts(mod, args as Record<string, unknown>, { check: !!o.check, diff: !!o.diff }, undefined);
  const facts = await hostFacts.named(factNames, requests);
  const result = await mod.run(args, moduleContext(conn, o, hostFacts), facts as never);
  return { result, execs: conn.stats.execs - e0, uploads: conn.stats.uploads - u0 };
}
