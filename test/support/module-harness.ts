import { LocalConnection } from '../../src/connection/local.js';
import type { Connection, ConnectionStats, ExecOptions, ExecResult } from '../../src/connection/types.js';
import { schemaErrors, type Locator } from '../../src/load/schema.js';
import type { InputError } from '../../src/errors.js';
import type { Facts, ModuleContext, ModuleDef, ModuleResult } from '../../src/modules/types.js';
import { quote } from '../../src/quote.js';
import { HostFacts } from '../../src/run/host-facts.js';
import { createModuleContext } from '../../src/run/module-context.js';
import { declaredFacts } from '../../src/run/prepare.js';
import { gatherFacts } from '../../src/run/facts.js';

export const trivialLocator: Locator = {
  posAt: () => ({ file: 'task.yml', line: 1, col: 1 }),
  keyPosAt: () => ({ file: 'task.yml', line: 1, col: 1 }),
};

/** Schema errors as `message (hint)` lines, the way a user would read them. */
export function argErrors(mod: ModuleDef<any>, args: unknown): string[] {
  return schemaErrors(mod.schema, args, trivialLocator).map((e: InputError) => `${e.message}${e.hint ? ` (${e.hint})` : ''}`);
}

export interface HarnessOpts {
  check?: boolean;
  diff?: boolean;
  facts?: Facts;
  evaluate?: (expr: string) => unknown;
  files?: Record<string, string>;
}

/** A real ModuleContext over conn; facts are gathered for real unless given. */
export function moduleCtx(conn: Connection, o: HarnessOpts = {}, hostFacts = new HostFacts(async () => conn)): ModuleContext {
  return createModuleContext({
    host: conn.host,
    conn,
    hostFacts,
    loginUser: 'root',
    check: !!o.check,
    diff: !!o.diff,
    vars: {},
    facts: o.facts ? async () => o.facts! : () => gatherFacts((s) => conn.exec(s)),
    render: (t) => t,
    evaluate: o.evaluate ?? (() => { throw new Error('evaluate is not used by this module'); }),
    statics: {
      resolveFile: (_k, src) => {
        const p = o.files?.[src];
        if (!p) throw new Error(`no file ${src}`);
        return p;
      },
      checkTemplate: () => undefined,
    },
    connect: async () => conn, // one connection, never reopened
  });
}

/** Runs a module like the engine: schema, static validate, its facts through the engine's cache, then run; returns result and round trips used. */
export async function runModule<A>(mod: ModuleDef<A, any>, args: A, conn: Connection, o: HarnessOpts = {}): Promise<ModuleResult & { execs: number; uploads: number }> {
  const errs = argErrors(mod, args);
  if (errs.length) throw new Error(`invalid args: ${errs.join('; ')}`);
  const hostFacts = new HostFacts(async () => conn);
  const ctx = moduleCtx(conn, o, hostFacts);
  mod.validate?.(args, ctx);
  const before = { ...conn.stats };
  const { factNames, requests } = declaredFacts(mod, args as Record<string, unknown>, { check: !!o.check, diff: !!o.diff }, undefined);
  const r = await mod.run(args, ctx, (await hostFacts.named(factNames, requests)) as never);
  return { ...r, execs: conn.stats.execs - before.execs, uploads: conn.stats.uploads - before.uploads };
}

/** A LocalConnection whose every script is rewritten by wrap before it runs (counted once). */
export class WrappedConnection implements Connection {
  readonly stats: ConnectionStats = { execs: 0, uploads: 0 };
  private readonly inner: LocalConnection;
  constructor(
    readonly host: string,
    private readonly wrap: (script: string) => string,
  ) {
    this.inner = new LocalConnection(host);
  }
  exec(script: string, opts?: ExecOptions): Promise<ExecResult> {
    this.stats.execs++;
    return this.inner.exec(this.wrap(script), opts);
  }
  upload(content: Buffer, remotePath: string): Promise<void> {
    this.stats.uploads++;
    return this.inner.upload(content, remotePath);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Every script runs inside a network namespace the test created: nothing touches the machine's own. */
export function netnsConnection(netns: string): WrappedConnection {
  return new WrappedConnection(`netns:${netns}`, (s) => `ip netns exec ${quote(netns)} /bin/sh -c ${quote(s)}`);
}
