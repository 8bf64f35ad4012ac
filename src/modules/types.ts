import type { ExecOptions, ExecResult } from '../connection/types.js';
import type { FactSpec, FactSpecs, FactValue, FactValues } from './lib/facts.js';

export type Vars = Record<string, unknown>;

/** What a fact round trip returns (see src/run/facts.ts). */
export interface Facts {
  os_family: string; // Debian, Darwin, RedHat, ...
  distribution: string;
  distribution_version: string;
  kernel: string;
  architecture: string;
  hostname: string;
  default_ipv4: { address?: string; interface?: string; gateway?: string };
  all_ipv4_addresses: string[];
  has_systemd: boolean;
  pkg_mgr: string; // apt, dnf, brew, unknown
}

export interface FileDiff {
  path?: string;
  before?: string;
  after?: string;
}

export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  diff?: FileDiff[];
  /** Command-like results (registered as stdout/stderr/rc). */
  stdout?: string;
  stderr?: string;
  rc?: number;
  /** set_fact and friends: variables to set on the host (set_fact precedence). */
  facts?: Vars;
  /** The facts are variables as an operator wrote them (include_vars): they render on read. Others are data. */
  factsAreTemplates?: boolean;
  [key: string]: unknown;
}

/** Checks done before any host is touched (files exist, templates parse). */
export interface StaticContext {
  /** Absolute path of a role/playbook file under files/ or templates/; throws InputError when missing. */
  resolveFile(kind: 'files' | 'templates' | 'vars', src: string): string;
  /** Throws InputError when the Handlebars template text does not parse. */
  checkTemplate(text: string, where: string): void;
}

/** Everything a module may do to its host; the module never sees the connection. */
export interface ModuleContext extends StaticContext {
  readonly host: string; // inventory name
  readonly check: boolean;
  readonly diff: boolean;
  /** How verbose the run is (the -v count). */
  readonly verbosity: number;
  /** The host's merged variables for this task (templating already applied to args). */
  readonly vars: Vars;
  /** A change: one round trip through the host's long-lived shell; become (sudo) is applied here. Drops the host's facts. */
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Reads a fact now (after a change the module made); facts known up front belong in `facts()`. */
  fact<S extends FactSpec>(spec: S): Promise<FactValue<S>>;
  /** Raw SFTP write; use modules/lib/atomic.ts for destination files. */
  upload(content: Buffer, remotePath: string): Promise<void>;
  /** The setup facts of the host (os_family, ...), gathered once per run on first use (one round trip). */
  facts(): Promise<Facts>;
  /** Renders a Handlebars template with this host's variables. */
  render(text: string, where: string): string;
  /** Evaluates a bare condition expression (assert's `that`). */
  evaluate(expr: string): unknown;
  /**
   * Opens the host's connection if it is not open (fresh: closes it and opens a new one, as after
   * a reboot), for reboot and wait_for_connection; throws UnreachableError while the host does
   * not answer. Drops the host's facts.
   */
  connect(opts?: { connectTimeoutMs?: number; fresh?: boolean }): Promise<void>;
}

/** What a module's fact declaration may depend on besides its arguments. */
export interface FactEnv {
  check: boolean;
  diff: boolean;
}

export interface ModuleDef<A = Record<string, unknown>, F extends FactSpecs = FactSpecs> {
  name: string;
  /** JSON schema of the arguments, checked with ajv for every task before any host is touched. */
  schema: Record<string, unknown>;
  /** `command: ls /` puts the free-form string into this argument. */
  freeForm?: string;
  /** Runs on the controller only and never needs the connection (debug, set_fact, assert, fail). */
  controllerOnly?: boolean;
  /**
   * Runs arbitrary commands, so check mode cannot predict it: in --check it is skipped unless
   * the task says `changed_when: false` or `check_mode: false`.
   */
  arbitraryCommand?: boolean;
  /**
   * The engine does not open the host's connection before the module runs: the module waits for
   * it with ctx.connect() (wait_for_connection, the first task on a host still booting).
   */
  waitsForConnection?: boolean;
  /** Extra static checks beyond the schema (src files exist, template parses, argument combos). */
  validate?(args: A, ctx: StaticContext): void;
  /**
   * The host state the module reads, as data (src/modules/lib/facts.ts): the engine fetches it
   * (for a whole section ahead, merged, in one round trip), caches it and drops it on any change.
   */
  facts?(args: A, env: FactEnv): F;
  /**
   * The variables a task of this module sets on the host (set_fact, include_vars), for the static
   * undefined-variable check; undefined when only the run can know them (a templated file name),
   * which leaves undefined names to the run to report.
   */
  defines?(args: A, ctx: StaticContext): string[] | undefined;
  /** Facts in (typed values of what facts() declared), commands out through ctx.exec. */
  run(args: A, ctx: ModuleContext, facts: FactValues<F>): Promise<ModuleResult>;
}

export function defineModule<A, F extends FactSpecs = Record<never, never>>(def: ModuleDef<A, F>): ModuleDef<A, F> {
  return def;
}
