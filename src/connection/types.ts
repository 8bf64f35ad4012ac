export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
  /** Characters cut from the middle of each stream (over OUTPUT_KEEP): the text says where. */
  cut?: { stdout: number; stderr: number };
}

export interface ExecOptions {
  /** Kill the shell (and start a fresh one) when the command takes longer. */
  timeoutMs?: number;
  /**
   * fabric's own read-only probe: run it in the session shell itself, not in a `( … )` subshell,
   * which saves a fork per task (a fork costs milliseconds on small VMs). The script must not
   * `exit`, `cd` or change shell options, and must `unset` the variables it sets.
   */
  inline?: boolean;
}

/** Counters a test or the benchmark reads to assert round trips. */
export interface ConnectionStats {
  execs: number;
  uploads: number;
}

/**
 * One live connection to one host for the whole run. The executor opens it once;
 * modules reach it only through their ModuleContext.
 */
export interface Connection {
  readonly host: string;
  readonly stats: ConnectionStats;
  /** Runs a shell script through the host's long-lived shell: one round trip. */
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Writes bytes to remotePath (not atomic by itself: see modules/lib/atomic.ts). */
  upload(content: Buffer, remotePath: string): Promise<void>;
  /** drop: end the SSH session itself, never park it for a later run (meta: reset_connection). */
  close(opts?: { drop?: boolean }): Promise<void>;
}

/** A host could not be reached or the connection broke: the host is unreachable. */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** The host's identity did not match what we know: never run anything there. */
export class HostKeyError extends UnreachableError {
  override name = 'HostKeyError';
}
