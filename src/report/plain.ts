import type { Reporter, RunEvent, TaskInfo } from '../run/events.js';
import { COLOR, stringc, streamColumns, streamWantsColor } from './ansi.js';
import { playBanner, retryLine, stoppedLines, taskBanner } from './format.js';
import { hostResultLines } from './host-lines.js';
import { RunSummary, recapLines } from './recap.js';

export interface StreamReporterOptions {
  verbose: number;
  diff: boolean;
  out: NodeJS.WritableStream;
  /** Clock for the total duration; tests pass a fake one. */
  now?: () => number;
}

/** Resolves once everything written so far is handed to the OS (an empty write's callback runs last). */
export function flushStream(out: NodeJS.WritableStream): Promise<void> {
  const state = out as { writableEnded?: boolean; destroyed?: boolean };
  if (state.writableEnded || state.destroyed) return Promise.resolve();
  return new Promise((resolve) => out.write('', () => resolve()));
}

/** Ansible-like lines, one per task and host: for logs, CI and grep. */
export class PlainReporter implements Reporter {
  private readonly summary: RunSummary;
  private readonly color: boolean;
  private readonly columns: number;
  private wroteAny = false;
  private lastBannerTask?: number;

  constructor(private readonly opts: StreamReporterOptions) {
    this.summary = new RunSummary(opts.now);
    this.color = streamWantsColor(opts.out);
    this.columns = streamColumns(opts.out);
  }

  onEvent(e: RunEvent): void {
    this.summary.onEvent(e);
    switch (e.type) {
      case 'play_start':
        this.lastBannerTask = undefined;
        this.writeBanner([playBanner(e.name, this.columns)]);
        break;
      case 'task_start':
        this.writeTaskBanner(e.task);
        break;
      case 'host_result': {
        // Under the free strategy results of several tasks interleave: repeat the banner, as Ansible does.
        if (this.lastBannerTask !== e.task.id) this.writeTaskBanner(e.task);
        const opts = { verbose: this.opts.verbose, diff: this.opts.diff, color: this.color };
        this.write(hostResultLines(e.task, e.host, e.outcome, opts).lines);
        break;
      }
      case 'run_end':
        this.writeBanner(recapLines(e, this.summary, { color: this.color, columns: this.columns }));
        break;
      case 'host_retry':
        this.write([retryLine(e.host, e.task, e.left)]);
        break;
      case 'play_stopped':
        this.writeBanner(stoppedLines(e.reason, this.columns));
        break;
      case 'task_end':
      case 'play_end':
        break;
    }
  }

  close(): Promise<void> {
    return flushStream(this.opts.out);
  }

  private writeTaskBanner(task: TaskInfo): void {
    this.lastBannerTask = task.id;
    const lines = [taskBanner(task, this.columns)];
    if (this.opts.verbose >= 2) lines.push(stringc(`task path: ${task.file}:${task.line}`, COLOR.debug, this.color));
    this.writeBanner(lines);
  }

  /** Ansible leaves an empty line above every banner. */
  private writeBanner(lines: string[]): void {
    this.write(this.wroteAny ? ['', ...lines] : lines);
  }

  private write(lines: string[]): void {
    if (lines.length === 0) return;
    this.wroteAny = true;
    this.opts.out.write(lines.join('\n') + '\n');
  }
}
