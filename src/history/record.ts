/**
 * Records a run into the history: a Reporter that passes every event on to the real renderer and
 * keeps what it needs; at close, after the renderer has flushed, one transaction stores it all.
 * The executor knows nothing of it. Nothing here can fail the run: any error is a warning.
 */
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FileDiff } from '../modules/types.js';
import { jsonHostResult, type JsonItem } from '../report/json.js';
import { taskLabel } from '../report/format.js';
import type { HostResult, HostStats, Reporter, RunEvent, TaskInfo } from '../run/events.js';
import { maskDeep, maskSecrets } from '../vars/secrets.js';
import { gitState } from './git.js';
import { openHistoryWriter, type GitState, type HistoryWriter, type ResultRecord, type RunRecord } from './store.js';

export interface RecordContext {
  /** The history database. */
  file: string;
  /** The command line after `fabric`. */
  argv: string[];
  /** The playbooks run (empty for ad-hoc commands). */
  playbooks: string[];
  check: boolean;
}

/** A diff side longer than this is cut: the history keeps what changed, not every large file whole. */
const MAX_DIFF_SIDE = 128 * 1024;

interface Pending {
  task: TaskInfo;
  taskSeq: number;
  play: string;
  host: string;
  outcome: HostResult;
  atMs: number;
}

function who(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? String(process.getuid?.() ?? 'unknown');
  }
  const sudo = process.env.SUDO_USER;
  return sudo && sudo !== name ? `${sudo} (as ${name})` : name;
}

function cut(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= MAX_DIFF_SIDE) return text;
  return `${text.slice(0, MAX_DIFF_SIDE)}\n[… ${text.length - MAX_DIFF_SIDE} more characters not kept in the history]\n`;
}

function errorOf(r: Omit<JsonItem, 'item'>): string | null {
  if (!r.failed) return null;
  return r.msg ?? r.stderr ?? (r.rc !== null ? `rc=${r.rc}` : 'failed');
}

/** One stored row from one host's result; no_log tasks keep their status only (jsonHostResult hides the rest). */
function resultRow(p: Pending): ResultRecord {
  const j = jsonHostResult(p.task, p.outcome);
  const diffs: FileDiff[] = [...(j.diff ?? []), ...(j.items ?? []).flatMap((i) => i.diff ?? [])].map((d) => ({ ...d, before: cut(d.before), after: cut(d.after) }));
  const itemError = j.items?.map(errorOf).find((e) => e !== null) ?? null;
  return {
    taskSeq: p.taskSeq,
    play: p.play,
    task: taskLabel(p.task),
    module: p.task.module,
    file: p.task.file,
    line: p.task.line,
    handler: p.task.handler,
    host: p.host,
    status: p.outcome.status,
    changed: p.outcome.status === 'changed' || (p.outcome.items?.some((i) => i.status === 'changed') ?? false),
    ignored: j.ignored,
    startedMs: Math.max(0, p.atMs - p.outcome.durationMs),
    durationMs: p.outcome.durationMs,
    error: errorOf(j) ?? itemError,
    diff: diffs.length ? diffs : null,
    delegatedTo: j.delegatedTo,
  };
}

let recordMs: number | undefined;

/** How long the last recorder's close spent storing the run (FABRIC_TIMINGS, bench/history.mjs). */
export function lastRecordMs(): number | undefined {
  return recordMs;
}

export class HistoryRecorder implements Reporter {
  private readonly startedAt = new Date();
  private readonly t0 = performance.now();
  private readonly git: Promise<GitState | null>;
  private readonly writer: Promise<HistoryWriter | Error>;
  private readonly pending: Pending[] = [];
  private readonly taskSeqOf = new Map<TaskInfo, number>();
  private play = '';
  private taskSeq = 0;
  private stats: Record<string, HostStats> = {};
  private exitCode: number | null = null;
  private interrupted = false;

  constructor(
    private readonly inner: Reporter,
    private readonly ctx: RecordContext,
  ) {
    // The playbooks' repository; an ad-hoc command's is the directory it was run from.
    const dir = ctx.playbooks.length ? dirname(resolve(ctx.playbooks[0]!)) : process.cwd();
    this.git = gitState(dir).catch(() => null);
    // Loading the library and opening the file overlap the run (its connections, its round trips).
    this.writer = openHistoryWriter(ctx.file).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  }

  onEvent(e: RunEvent): void {
    this.inner.onEvent(e);
    switch (e.type) {
      case 'play_start':
        this.play = e.name;
        break;
      case 'task_start':
        this.taskSeqOf.set(e.task, ++this.taskSeq);
        break;
      case 'host_result':
        this.pending.push({ task: e.task, taskSeq: this.taskSeqOf.get(e.task) ?? ++this.taskSeq, play: this.play, host: e.host, outcome: e.outcome, atMs: performance.now() - this.t0 });
        break;
      case 'run_end':
        this.stats = e.stats;
        this.exitCode = e.exitCode;
        this.interrupted = e.interrupted;
        break;
      default:
        break;
    }
  }

  async close(): Promise<void> {
    await this.inner.close();
    const t = performance.now();
    const writer = await this.writer;
    try {
      if (writer instanceof Error) throw writer;
      writer.save(await this.record());
    } catch (e) {
      process.stderr.write(`warning: run history: this run was not recorded in ${this.ctx.file}: ${(e as Error).message}\n`);
    } finally {
      if (!(writer instanceof Error)) writer.close();
    }
    recordMs = performance.now() - t;
  }

  /** Masked at the end of the run, when every secret the run met is known. */
  private async record(): Promise<RunRecord> {
    const run: RunRecord = {
      startedAt: this.startedAt.toISOString(),
      durationMs: performance.now() - this.t0,
      command: this.ctx.argv[0] ?? '',
      argv: this.ctx.argv.map(maskSecrets),
      cwd: process.cwd(),
      user: who(),
      controller: hostname(),
      playbooks: this.ctx.playbooks,
      check: this.ctx.check,
      git: await this.git,
      exitCode: this.exitCode,
      interrupted: this.interrupted,
      stats: this.stats,
      results: this.pending.map(resultRow),
    };
    return maskDeep(run);
  }
}
