import { randomBytes } from 'node:crypto';
import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import type { Facts, ModuleContext, StaticContext, Vars } from '../modules/types.js';
import { quote } from '../quote.js';

export interface Become {
  user: string; // target user, default root
  password?: string; // --ask-become-pass
}

export interface ContextDeps {
  host: string;
  conn: Connection;
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
}

/** Wraps a script for sudo; the password (if any) goes on stdin, never on a command line. */
export function becomeScript(script: string, become: Become): string {
  const sudo = `sudo -H -u ${quote(become.user)} ${become.password ? "-S -p ''" : '-n'} -- /bin/sh -c ${quote(script)}`;
  return become.password ? `printf '%s\\n' ${quote(become.password)} | ${sudo}` : sudo;
}

/** The real ModuleContext: modules reach the host only through this. */
export function createModuleContext(d: ContextDeps): ModuleContext {
  const needsSudo = !!d.become && d.become.user !== d.loginUser;
  // A probe spec describes the script as the login user runs it: through sudo it is kept out of merging.
  const exec = (script: string, opts?: ExecOptions): Promise<ExecResult> =>
    needsSudo
      ? d.conn.exec(becomeScript(script, d.become!), opts?.probe ? { ...opts, probe: true } : opts)
      : d.conn.exec(script, opts);
  return {
    host: d.host,
    check: d.check,
    diff: d.diff,
    verbosity: d.verbosity ?? 0,
    vars: d.vars,
    exec,
    async upload(content: Buffer, remotePath: string) {
      if (!needsSudo) return d.conn.upload(content, remotePath);
      // SFTP runs as the login user: stage in /tmp, then move into place as the become user.
      const staged = `/tmp/.fabric-up-${randomBytes(6).toString('hex')}`;
      await d.conn.upload(content, staged);
      const r = await exec(`mv -f -- ${quote(staged)} ${quote(remotePath)}`);
      if (r.rc !== 0) throw new Error(`cannot place ${remotePath}: ${r.stderr.trim()}`);
    },
    facts: d.facts,
    render: d.render,
    evaluate: d.evaluate,
    resolveFile: (kind, src) => d.statics.resolveFile(kind, src),
    checkTemplate: (text, where) => d.statics.checkTemplate(text, where),
  };
}
