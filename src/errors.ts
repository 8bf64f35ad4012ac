/** Exit codes, Ansible-compatible where Ansible is unambiguous (see README). */
export const EXIT = {
  ok: 0,
  internal: 1,
  failed: 2,
  unreachable: 4,
  badInput: 5,
  /** --detailed-exitcode: every host ok, and something changed (or, with --check, would change). */
  changed: 6,
  /** --assert-idempotent: the second run changed something. */
  notIdempotent: 7,
  /** fabric apply refused: a host's state or an input changed since the plan; nothing was changed on any host. */
  planStale: 8,
  interrupted: 130,
} as const;

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

/** A mistake in the user's input: always carries where it is and exits 5. */
export class InputError extends Error {
  readonly exitCode = EXIT.badInput;
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** `file:line:col: message` — the one-line form used in lists and tests. */
  get located(): string {
    const where = this.pos ? `${this.pos.file}:${this.pos.line}:${this.pos.col}: ` : '';
    return `${where}${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

/** Several input errors found in one validation pass; reported together. */
export class InputErrors extends Error {
  readonly exitCode = EXIT.badInput;
  constructor(readonly errors: InputError[]) {
    super(errors.map((e) => e.located).join('\n'));
    this.name = 'InputErrors';
  }
}

/** Collects input errors so validation reports all of them, not just the first. */
export class ErrorList {
  readonly errors: InputError[] = [];
  add(e: InputError): void {
    this.errors.push(e);
  }
  /** Runs fn; an InputError(s) it throws is recorded instead of propagating. */
  guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof InputError) this.add(e);
      else if (e instanceof InputErrors) this.errors.push(...e.errors);
      else throw e;
      return undefined;
    }
  }
  throwIfAny(): void {
    if (this.errors.length) throw new InputErrors(this.errors);
  }
}
