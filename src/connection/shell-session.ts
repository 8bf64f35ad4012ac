import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { ExecOptions, ExecResult } from './types.js';

/** The three pipes of a running `sh`: ssh exec channel or a local child process. */
export interface ShellPipes {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Ends the shell and its pipes for good. */
  kill(): void;
  /** Resolves when the shell is gone (exited, killed or its transport broke). */
  closed: Promise<string>;
  /**
   * kill() does not reach the shell's children (a remote shell): after a timeout, the next shell
   * kills the old shell's process group (sshd makes each session shell a group leader).
   */
  killGroupFromNextShell?: boolean;
}

/**
 * A script every shell of the session runs before its first command (the run lock), pipelined:
 * the commands sent behind it wait in the shell's input. It answers one line matching `answer`;
 * `judge` turns the answer into the error that ends the session, or undefined to go on.
 */
export interface Prelude {
  script: string;
  answer: RegExp;
  judge: (answer: string) => Error | undefined;
}

interface Pending {
  marker: string;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

const US = '\x1f'; // unit separator frames the end marker; never produced by normal output
const PID_LINE = /\x1fPID(\d+)\x1f\n/; // not anchored: rc-file noise before it is dropped

/**
 * What a command may print, per stream, before the middle is cut: its first and last
 * OUTPUT_KEEP / 2 characters are kept (README: Output limits). A host printing 500 MB costs the
 * controller 4 MiB, not 500, and finding the end marker stays linear.
 */
export const OUTPUT_KEEP = 4 * 1024 * 1024;

/** An ExecResult from the two streams' finished text. */
function resultOf(rc: number, out: { text: string; cut: number }, err: { text: string; cut: number }, stderrSuffix = ''): ExecResult {
  const r: ExecResult = { rc, stdout: out.text, stderr: err.text + stderrSuffix };
  if (out.cut || err.cut) r.cut = { stdout: out.cut, stderr: err.cut };
  return r;
}

/** How much of the latest output the end marker is looked for in (the marker line is ~40 characters). */
const WINDOW = 1024;

/**
 * One stream of the running command: the first `half` characters, the latest chunks (at least
 * the last `half`), and how many were dropped between. The end marker is looked for only in the
 * newest data (`recent`), so a long output costs linear time, not a rescan per chunk.
 */
class Capture {
  private head = '';
  private chunks: string[] = [];
  private tailSize = 0;
  private window = '';
  /** The last WINDOW characters before the newest chunk, and that chunk: where markers are looked for. */
  recent = '';
  cut = 0;

  constructor(private readonly half: number) {}

  push(d: string): void {
    this.recent = this.window + d;
    this.window = this.recent.slice(-WINDOW);
    if (this.head.length < this.half) {
      const take = Math.min(this.half - this.head.length, d.length);
      this.head += d.slice(0, take);
      d = d.slice(take);
    }
    if (!d) return;
    this.chunks.push(d);
    this.tailSize += d.length;
    while (this.chunks.length > 1 && this.tailSize - this.chunks[0]!.length >= this.half) {
      const dropped = this.chunks.shift()!;
      this.tailSize -= dropped.length;
      this.cut += dropped.length;
    }
  }

  /** Where `needle` is in the kept text (head + tail), looked for in the newest data; -1 if not there. */
  find(needle: string, from = 0): number {
    const i = this.recent.indexOf(needle, Math.max(0, from - this.offsetOfRecent()));
    return i < 0 ? -1 : this.offsetOfRecent() + i;
  }

  /** `re` matched against the newest data: the match and where it ends in the kept text. */
  match(re: RegExp): { groups: RegExpExecArray; end: number } | undefined {
    const m = re.exec(this.recent);
    return m ? { groups: m, end: this.offsetOfRecent() + m.index + m[0].length } : undefined;
  }

  private offsetOfRecent(): number {
    return this.head.length + this.tailSize - this.recent.length;
  }

  private kept(): string {
    const tail = this.chunks.join('');
    this.chunks = tail ? [tail] : [];
    return this.head + tail;
  }

  /** The kept text from `from` to `to`. */
  slice(from: number, to?: number): string {
    return this.kept().slice(from, to);
  }

  /**
   * The command's output (the kept text up to `end`) and what was cut from it: exactly the first
   * and the last `half` characters are kept, with a line saying how many went between.
   */
  finish(end: number): { text: string; cut: number } {
    const body = this.kept().slice(0, end);
    let cut = this.cut;
    let text = body;
    if (cut > 0 || body.length > 2 * this.half) {
      const last = body.slice(this.half);
      const extra = Math.max(0, last.length - this.half);
      cut += extra;
      text = `${body.slice(0, this.half)}\n[fabric: ${cut} characters of output cut here; the first and last ${this.half} are kept]\n${last.slice(extra)}`;
    }
    return { text, cut };
  }

  /** The next command starts with what followed its predecessor's marker. */
  restart(from: number): void {
    const rest = this.kept().slice(from);
    this.head = '';
    this.chunks = [];
    this.tailSize = 0;
    this.window = '';
    this.recent = '';
    this.cut = 0;
    if (rest) this.push(rest);
  }
}

/**
 * Runs commands one after another through one long-lived `sh`, instead of a new
 * session per command (about 3 ms instead of about 56 ms on a lab host).
 * Each command runs in a subshell with stdin closed; its end is framed on both
 * stdout and stderr by a random marker, and the stdout marker carries the exit code.
 */
export class ShellSession {
  private pipes: ShellPipes | undefined;
  private out = new Capture(OUTPUT_KEEP / 2);
  private err = new Capture(OUTPUT_KEEP / 2);
  private queue: Promise<unknown> = Promise.resolve();
  private current: Pending | undefined;
  private dead: Error | undefined;
  /** The shell's pid, announced as its first output line. */
  private shellPid: number | undefined;
  private pidPending = false;
  /** Process group of a shell dropped after a timeout, killed first thing in the next shell. */
  private staleGroup: number | undefined;
  private opening: Promise<ShellPipes> | undefined;
  private prelude: Prelude | undefined;
  /** The prelude whose answer the running shell owes, looked for before any command's output. */
  private answerDue: Prelude | undefined;

  constructor(
    private readonly open: () => Promise<ShellPipes>,
    private readonly onBroken: (why: string) => Error,
  ) {}

  /** Serialises commands: the shell runs one at a time. */
  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const run = this.queue.then(() => this.runOne(script, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs in every shell opened from now on, before its first command (undefined: none). */
  setPrelude(p: Prelude | undefined): void {
    this.prelude = p;
  }

  /**
   * Runs the prelude in the shell that runs now, pipelined ahead of the next command (a lent
   * connection taking the run lock without a round trip of its own); refused, the shell ends
   * and that command fails with the prelude's error. With no shell running, the next shell runs
   * it anyway.
   */
  preludeNow(): void {
    const p = this.prelude;
    if (!p) return;
    this.queue = this.queue.then(() => {
      const pipes = this.pipes;
      if (!pipes || this.dead) return;
      this.answerDue = p;
      pipes.stdin.write(`${p.script}\n`);
    });
  }

  /** A shell is running now (a command sent now goes to it without opening one). */
  get running(): boolean {
    return !!this.pipes;
  }

  /** Ended for good: closed, broken, or its prelude refused. */
  get ended(): boolean {
    return !!this.dead;
  }

  async close(): Promise<void> {
    this.dead ??= new Error('session closed');
    const p = this.pipes;
    this.pipes = undefined;
    if (p) {
      p.stdin.end();
      p.kill();
    }
  }

  private ensure(): Promise<ShellPipes> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pipes) return Promise.resolve(this.pipes);
    // One opening at a time: a timeout opens the next shell early to reap the hung command.
    this.opening ??= this.openShell().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openShell(): Promise<ShellPipes> {
    const pipes = await this.open();
    this.pipes = pipes;
    this.out = new Capture(OUTPUT_KEEP / 2);
    this.err = new Capture(OUTPUT_KEEP / 2);
    this.shellPid = undefined;
    this.pidPending = !!pipes.killGroupFromNextShell;
    this.answerDue = this.prelude;
    pipes.stdout.setEncoding('utf8');
    pipes.stderr.setEncoding('utf8');
    pipes.stdout.on('data', (d: string) => {
      if (this.pipes !== pipes) return;
      this.out.push(d);
      if (this.pidPending) {
        const m = this.out.match(PID_LINE);
        if (!m) return; // the pid line comes first; wait for all of it
        this.shellPid = Number(m.groups[1]);
        this.pidPending = false;
        this.out.restart(m.end);
      }
      const due = this.answerDue;
      if (due) {
        const m = this.out.match(due.answer);
        if (!m) return; // its answer comes before any command's output
        const refused = due.judge(m.groups[1] ?? '');
        this.answerDue = undefined;
        this.out.restart(m.end);
        if (refused) return this.end(pipes, refused);
      }
      this.settle();
    });
    pipes.stderr.on('data', (d: string) => {
      if (this.pipes !== pipes) return;
      this.err.push(d);
      this.settle();
    });
    pipes.stdin.on('error', () => undefined); // reported through `closed`
    if (this.staleGroup) pipes.stdin.write(`kill -s KILL -- -${this.staleGroup} 2>/dev/null\n`);
    this.staleGroup = undefined;
    if (this.pidPending) pipes.stdin.write(`printf '\\037PID%d\\037\\n' $$\n`);
    if (this.answerDue) pipes.stdin.write(`${this.answerDue.script}\n`);
    void pipes.closed.then((why) => {
      if (this.pipes === pipes) this.end(pipes, this.onBroken(why));
    });
    return pipes;
  }

  /** The session ends with err: the running command (if any) and every later one fail with it. */
  private end(pipes: ShellPipes, err: Error): void {
    this.pipes = undefined;
    this.dead = err;
    pipes.kill();
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      clearTimeout(cur.timer);
      cur.reject(err);
    }
  }

  private async runOne(script: string, opts: ExecOptions): Promise<ExecResult> {
    const pipes = await this.ensure();
    const marker = `${US}FAB${randomBytes(8).toString('hex')}`;
    // `( … )` keeps `exit`/`cd`/`set -e` from touching the session; `</dev/null` closes stdin;
    // `9>&-`: nothing a command starts keeps the run lock (run-lock.ts) after the session ends.
    // An inline probe runs in `{ … }`: the same stdin, without the fork.
    const framed =
      (opts.inline ? `{\n${script}\n} </dev/null\n` : `(\n${script}\n) </dev/null 9>&-\n`) +
      `__fab_rc=$?; printf '%s:%d${US}\\n' '${marker}' "$__fab_rc"; printf '%s${US}\\n' '${marker}' >&2\n`;
    return new Promise<ExecResult>((resolve, reject) => {
      const pending: Pending = { marker, resolve, reject };
      if (opts.timeoutMs) {
        pending.timer = setTimeout(() => {
          // A hung command: drop this shell; the next exec opens a fresh one.
          this.current = undefined;
          this.pipes = undefined;
          pipes.kill();
          if (pipes.killGroupFromNextShell && this.shellPid) {
            this.staleGroup = this.shellPid;
            void this.ensure().catch(() => undefined); // reap now, not at the next command
          }
          resolve(resultOf(124, this.out.finish(Infinity), this.err.finish(Infinity), `command timed out after ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
      }
      this.current = pending;
      pipes.stdin.write(framed);
      this.settle();
    });
  }

  private settle(): void {
    const cur = this.current;
    if (!cur) return;
    const o = this.out.find(cur.marker + ':');
    if (o < 0) return;
    const oEnd = this.out.find(US + '\n', o);
    const errTail = cur.marker + US + '\n';
    const e = this.err.find(errTail);
    if (oEnd < 0 || e < 0) return;
    const rc = Number(this.out.slice(o + cur.marker.length + 1, oEnd));
    const result = resultOf(rc, this.out.finish(o), this.err.finish(e));
    this.out.restart(oEnd + 2);
    this.err.restart(e + errTail.length);
    this.current = undefined;
    clearTimeout(cur.timer);
    cur.resolve(result);
  }
}
