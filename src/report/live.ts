import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { HostResult, Reporter, RunEvent, TaskInfo } from '../run/events.js';
import { stringc, streamColumns, streamWantsColor } from './ansi.js';
import { formatDuration, playBanner, retryLine, stoppedLines, taskBanner, taskLabel } from './format.js';
import { STATUS_COLOR, STATUS_WORD, hostResultLines } from './host-lines.js';
import { RunSummary, recapLines } from './recap.js';
import { flushStream, type StreamReporterOptions } from './plain.js';

/** One executor task as the live view sees it: hosts resolve as their results arrive. */
class LiveTask {
  readonly results = new Map<string, HostResult>();
  private readonly waiters = new Map<string, (r: HostResult | undefined) => void>();
  private ended = false;
  private resolveEnd!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveEnd = resolve));

  constructor(
    readonly task: TaskInfo,
    readonly hosts: string[],
  ) {}

  settle(host: string, outcome: HostResult): void {
    this.results.set(host, outcome);
    this.waiters.get(host)?.(outcome);
  }

  /** Hosts that never got a result (interrupted, or dropped) resolve empty so the view can finish. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const resolve of this.waiters.values()) resolve(undefined);
    this.resolveEnd();
  }

  result(host: string): Promise<HostResult | undefined> {
    const known = this.results.get(host);
    if (known || this.ended) return Promise.resolve(known);
    return new Promise((resolve) => this.waiters.set(host, resolve));
  }
}

function rowTitle(host: string, o: HostResult, color: boolean): string {
  const who = o.delegatedTo && o.delegatedTo !== host ? `${host} -> ${o.delegatedTo}` : host;
  const parts = [who, stringc(STATUS_WORD[o.status], STATUS_COLOR[o.status], color)];
  if (Array.isArray(o.items)) {
    const changed = o.items.filter((it) => it.status === 'changed').length;
    parts.push(`${o.items.length} items${changed ? `, ${changed} changed` : ''}`);
  }
  if (o.ignored) parts.push('(ignored)');
  parts.push(formatDuration(o.durationMs));
  return parts.join('  ');
}

/**
 * listr2 view for a terminal: a row per task with a spinner, a sub-row per host with its status and
 * duration. Events arrive while earlier rows still draw, so everything goes through one queue and
 * one Listr runs at a time; details (failures, diffs) and the recap print between them as plain lines.
 */
export class LiveReporter implements Reporter {
  private readonly summary: RunSummary;
  private readonly open = new Map<number, LiveTask>();
  private readonly columns: number;
  private readonly color: boolean;
  private queue: Promise<void> = Promise.resolve();
  private wroteAny = false;

  constructor(private readonly opts: StreamReporterOptions) {
    this.summary = new RunSummary(opts.now);
    this.columns = streamColumns(opts.out);
    this.color = streamWantsColor(opts.out);
  }

  onEvent(e: RunEvent): void {
    this.summary.onEvent(e);
    switch (e.type) {
      case 'play_start':
        this.enqueue(() => this.write([playBanner(e.name, this.columns)], true));
        break;
      case 'task_start':
        this.start(e.task, e.hosts);
        break;
      case 'host_result':
        (this.open.get(e.task.id) ?? this.start(e.task, [])).settle(e.host, e.outcome);
        break;
      case 'task_end':
        this.open.get(e.task.id)?.end();
        this.open.delete(e.task.id);
        break;
      case 'run_end':
        for (const t of this.open.values()) t.end();
        this.open.clear();
        this.enqueue(() => this.write(recapLines(e, this.summary, { color: this.color, columns: this.columns }), true));
        break;
      case 'host_retry':
        this.enqueue(() => this.write([retryLine(e.host, e.task, e.left)], false));
        break;
      case 'play_stopped':
        this.enqueue(() => this.write(stoppedLines(e.reason, this.columns), true));
        break;
      case 'play_end':
        break;
    }
  }

  async close(): Promise<void> {
    for (const t of this.open.values()) t.end();
    this.open.clear();
    await this.queue;
    await flushStream(this.opts.out);
  }

  private start(task: TaskInfo, hosts: string[]): LiveTask {
    const live = new LiveTask(task, [...hosts]);
    this.open.set(task.id, live);
    this.enqueue(() => this.show(live));
    return live;
  }

  private enqueue(step: () => void | Promise<void>): void {
    this.queue = this.queue.then(step).catch((err: unknown) => {
      // A drawing failure must not hide the run: say so and keep going with plain lines.
      this.write([`(live view error: ${(err as Error)?.message ?? String(err)})`], false);
    });
  }

  private async show(live: LiveTask): Promise<void> {
    this.write([''], false);
    // listr2 hides the cursor while drawing; a second Ctrl-C exits mid-draw, so give it back on exit.
    const showCursor = (): void => void this.opts.out.write('\x1b[?25h');
    process.once('exit', showCursor);
    try {
      await this.listrFor(live).run();
    } catch {
      await live.done;
      this.write([taskBanner(live.task, this.columns)], false);
      for (const [host, o] of live.results) this.write(this.lines(live.task, host, o).lines, false);
      return;
    } finally {
      process.off('exit', showCursor);
    }
    await live.done;
    const shown = this.fitsOnScreen(live.hosts.length) ? live.hosts : [];
    // Failures, diffs and verbose output do not fit in a row: print them under it, as plain lines.
    for (const [host, o] of live.results) {
      const lines = this.lines(live.task, host, o);
      if (lines.hasDetail || !shown.includes(host)) this.write(lines.lines, false);
    }
  }

  private lines(task: TaskInfo, host: string, o: HostResult): ReturnType<typeof hostResultLines> {
    return hostResultLines(task, host, o, { verbose: this.opts.verbose, diff: this.opts.diff, color: this.color });
  }

  /** log-update cannot redraw rows that scrolled off screen: beyond that, a task gets no host rows. */
  private fitsOnScreen(hosts: number): boolean {
    const rows = (this.opts.out as { rows?: number }).rows;
    return hosts + 2 <= Math.max(6, (rows || 24) - 4);
  }

  private listrFor(live: LiveTask): Listr<unknown, 'default', 'default'> {
    const hosts = this.fitsOnScreen(live.hosts.length) ? live.hosts : [];
    const rows: ListrTask[] = hosts.map((host) => ({
      title: host,
      task: async (_ctx, row) => {
        const o = await live.result(host);
        if (!o) return row.skip(`${host}  no result`);
        row.title = rowTitle(host, o, this.color);
        if (o.status === 'skipped') return row.skip(row.title);
        if (o.status === 'failed' || o.status === 'unreachable') throw new Error(row.title);
      },
    }));
    const rendererOptions = {
      collapseSubtasks: false,
      collapseErrors: true,
      showErrorMessage: true,
      logger: new ListrLogger({
        useIcons: true,
        toStderr: [],
        processOutput: new ProcessOutput(this.opts.out as NodeJS.WriteStream, process.stderr),
      }),
    };
    return new Listr(
      [
        {
          title: `${live.task.handler ? 'RUNNING HANDLER' : 'TASK'} [${taskLabel(live.task)}]`,
          task: (_ctx, t) =>
            rows.length ? t.newListr(rows, { concurrent: true, exitOnError: false }) : live.done,
        },
      ],
      {
        // The CLI already chose this view for a terminal; listr2 would look at process.stdout instead.
        renderer: 'default',
        fallbackRenderer: 'default',
        rendererOptions,
        fallbackRendererOptions: rendererOptions,
        exitOnError: false,
        // The executor owns Ctrl-C (recap so far, exit 130); listr2's handler would exit(127).
        registerSignalListeners: false,
      },
    );
  }

  private write(lines: string[], bannerSpacing: boolean): void {
    const text = bannerSpacing && this.wroteAny ? ['', ...lines] : lines;
    if (text.length === 0) return;
    this.wroteAny = true;
    this.opts.out.write(text.join('\n') + '\n');
  }
}
