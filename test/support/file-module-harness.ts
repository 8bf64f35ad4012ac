import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from '../../src/connection/types.js';
import { InputError } from '../../src/errors.js';
import { schemaErrors, type Locator } from '../../src/load/schema.js';
import type { ModuleContext, ModuleDef, ModuleResult, StaticContext, Vars } from '../../src/modules/types.js';
import { createModuleContext } from '../../src/run/module-context.js';
import { checkTemplate, isTemplated, renderText } from '../../src/vars/template.js';

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
  return {
    resolveFile(kind, src) {
      const p = src.startsWith('/') ? src : join(roleDir ?? '/nonexistent', kind, src);
      if (!existsSync(p)) throw new InputError(`${kind} file not found: ${src}`, undefined, `looked in ${p}`);
      return p;
    },
    checkTemplate: (text, where) => checkTemplate(text, here(where)),
  };
}

/** The real ModuleContext over conn, with the real template renderer. */
export function moduleContext(conn: Connection, o: HarnessOptions = {}): ModuleContext {
  const vars = o.vars ?? {};
  return createModuleContext({
    host: conn.host,
    conn,
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
  });
}

/** The messages the engine would report for args before any host is touched. */
export function staticErrors<A>(mod: ModuleDef<A>, args: unknown, roleDir?: string): string[] {
  // Like the planner: a `{{ … }}` value is judged after rendering, not before.
  const errs = schemaErrors(mod.schema, args, testLocator, [], mod.name, (v) => typeof v === 'string' && isTemplated(v)).map((e) => e.located);
  if (errs.length) return errs;
  try {
    mod.validate?.(args as A, staticContext(roleDir));
  } catch (e) {
    if (e instanceof InputError) return [e.located];
    throw e;
  }
  return [];
}

export interface RunStats {
  result: ModuleResult;
  execs: number;
  uploads: number;
}

/** Validates like the engine, runs once, and counts the round trips the run cost. */
export async function runModule<A>(mod: ModuleDef<A>, args: A, conn: Connection, o: HarnessOptions = {}): Promise<RunStats> {
  const errs = staticErrors(mod, args, o.roleDir);
  if (errs.length) throw new Error(`invalid arguments: ${errs.join('; ')}`);
  const e0 = conn.stats.execs;
  const u0 = conn.stats.uploads;
  const result = await mod.run(args, moduleContext(conn, o));
  return { result, execs: conn.stats.execs - e0, uploads: conn.stats.uploads - u0 };
}
