import { randomBytes } from 'node:crypto';
import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import type { FactSpec, FactValue } from '../modules/lib/facts.js';
import type { Facts, ModuleContext, StaticContext, Vars } from '../modules/types.js';
import { quote } from '../quote.js';
import type { FactRequest, HostFacts } from './host-facts.js';

export interface Become {
  user: string; // target user, default root
  password?: string; // --ask-become-pass
}

export interface ContextDeps {
  host: string;
  conn: Connection;
  /** The facts of the host the module reaches (the delegate's, with delegate_to). */
  hostFacts: HostFacts;
  /** The user the connection logged in as; become to the same user is a no-op. */
  loginUser: string;
  become?: Become;
  check: boolean;
  diff: boolean;
  /** The run's -v count (default 0). */
  verbosity?: number;
  vars: Vars;
  facts(): Promise<Facts>;
  render(text: string, where: string): string;
  evaluate(expr: string): unknown;
  statics: StaticContext;
  /** Exported to every command the module sends (not to the engine's fact reads). */
  environment?: Record<string, string>;
  /** The attempt's time limit, ms: every exec gets what is left of it. */
  timeoutMs?: number;
  /** Opens (fresh: reopens) the connection the module reaches. */
  connect(opts: { connectTimeoutMs?: number; fresh?: boolean }): Promise<Connection>;
}

/** The task ran out of its `timeout`: its command was stopped on the host. */
export class TaskTimeout extends Error {}

/** The script with `export NAME='value'` lines first (it runs in its own subshell, so they stay there). */
export function withEnvironment(script: string, env: Record<string, string> | undefined): string {
  const entries = Object.entries(env ?? {});
  return entries.length ? `${entries.map(([k, v]) => `export ${k}=${quote(v)}`).join('\n')}\n${script}` : script;
}

/**
 * Wraps a script for sudo. Neither the script nor the password is ever on a command line, where
 * any user of the host could read them in `ps`: the script is sudo's shell's input (a quoted
 * here-document, read whole as one `{ … }` group that runs with stdin from /dev/null), and the
 * password is in sudo's environment, which only root and the login user can read. sudo asks its
 * askpass helper for it, and that helper is `printenv`: sudo runs it with the prompt as its
 * argument, and the prompt is the variable's name. sudo's env_reset keeps the variable from the
 * command.
 */
export function becomeScript(script: string, become: Become): string {
  let end: string;
  do end = `__FAB_END_${randomBytes(6).toString('hex')}`;
  while (script.includes(end));
  const auth = become.password ? `${BECOME_PW_VAR}=${quote(become.password)} SUDO_ASKPASS=/usr/bin/printenv sudo -A -p ${BECOME_PW_VAR}` : 'sudo -n';
  return `${auth} -H -u ${quote(become.user)} -- /bin/sh -s <<'${end}'\n{\n${script}\n} </dev/null\n${end}`;
}

const BECOME_PW_VAR = '__FAB_BECOME_PW';

/** The user facts are read as, for requests: undefined when become changes nothing. */
export function factsRunAs(become: Become | undefined, loginUser: string): FactRequest['runAs'] {
  if (!become || become.user === loginUser) return undefined;
  return { key: become.user, wrap: (s) => becomeScript(s, become) };
}

/** The real ModuleContext: modules reach the host only through this. */
export function createModuleContext(d: ContextDeps): ModuleContext {
  const runAs = factsRunAs(d.become, d.loginUser);
  let conn = d.conn;
  const run = (script: string, opts?: ExecOptions): Promise<ExecResult> => conn.exec(runAs ? runAs.wrap(script) : script, opts);
  const deadline = d.timeoutMs === undefined ? undefined : Date.now() + d.timeoutMs;
  const timedOut = () => new TaskTimeout(`the task did not finish within its timeout of ${d.timeoutMs! / 1000} s and was stopped on the host`);
  // Every exec a module sends may change the host: the host's facts are dropped around it.
  const exec = async (script: string, opts?: ExecOptions): Promise<ExecResult> => {
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if (left !== undefined && left <= 0) throw timedOut();
    const timeoutMs = left === undefined ? opts?.timeoutMs : Math.min(opts?.timeoutMs ?? left, left);
    const r = await d.hostFacts.changes(() => run(withEnvironment(script, d.environment), { ...opts, timeoutMs }));
    if (deadline !== undefined && r.rc === 124 && Date.now() >= deadline) throw timedOut();
    return r;
  };
  return {
    host: d.host,
    check: d.check,
    diff: d.diff,
    verbosity: d.verbosity ?? 0,
    vars: d.vars,
    exec,
    async fact<S extends FactSpec>(spec: S): Promise<FactValue<S>> {
      const [v] = await d.hostFacts.get([{ spec, runAs }]);
      return v as FactValue<S>;
    },
    upload(content: Buffer, remotePath: string) {
      return d.hostFacts.changes(async () => {
        if (!runAs) return conn.upload(content, remotePath);
        // SFTP runs as the login user: stage in /tmp, then move into place as the become user.
        const staged = `/tmp/.fabric-up-${randomBytes(6).toString('hex')}`;
        await conn.upload(content, staged);
        const r = await run(`mv -f -- ${quote(staged)} ${quote(remotePath)}`);
        if (r.rc !== 0) throw new Error(`cannot place ${remotePath}: ${r.stderr.trim()}`);
      });
    },
    async connect(opts = {}) {
      d.hostFacts.drop();
      conn = await d.connect(opts);
    },
    facts: d.facts,
    render: d.render,
    evaluate: d.evaluate,
    resolveFile: (kind, src) => d.statics.resolveFile(kind, src),
    checkTemplate: (text, where) => d.statics.checkTemplate(text, where),
  };
}
