/** `fabric runs diff A B`: per host, which tasks' results differ (status, changed, error). */
import type { HostStatus } from '../run/events.js';
import type { FullRun, ResultRecord } from './store.js';

export interface ResultSide {
  status: HostStatus;
  changed: boolean;
  error: string | null;
}

export interface TaskDifference {
  task: string;
  play: string;
  file: string;
  line: number;
  /** null: the task did not run on this host in that run. */
  a: ResultSide | null;
  b: ResultSide | null;
}

export interface HostComparison {
  host: string;
  /** In only one of the runs. */
  only?: 'a' | 'b';
  differences: TaskDifference[];
}

export interface RunComparison {
  a: number;
  b: number;
  hosts: HostComparison[];
}

/** A task is the same task in both runs when its play, name and place match; the n-th run of it on a host (a handler flushed twice) matches the n-th. */
function keyed(results: ResultRecord[]): Map<string, Map<string, ResultRecord>> {
  const byHost = new Map<string, Map<string, ResultRecord>>();
  for (const r of results) {
    const tasks = byHost.get(r.host) ?? new Map<string, ResultRecord>();
    byHost.set(r.host, tasks);
    const base = `${r.play}\u0000${r.task}\u0000${r.file}:${r.line}`;
    let n = 0;
    while (tasks.has(`${base}\u0000${n}`)) n++;
    tasks.set(`${base}\u0000${n}`, r);
  }
  return byHost;
}

const side = (r: ResultRecord | undefined): ResultSide | null => (r ? { status: r.status, changed: r.changed, error: r.error } : null);

function differs(a: ResultSide | null, b: ResultSide | null): boolean {
  if (!a || !b) return a !== b;
  return a.status !== b.status || a.changed !== b.changed || a.error !== b.error;
}

export function compareRuns(a: FullRun, b: FullRun): RunComparison {
  const ka = keyed(a.results);
  const kb = keyed(b.results);
  const hosts = [...new Set([...a.hosts, ...b.hosts])].sort();
  return {
    a: a.id,
    b: b.id,
    hosts: hosts.map((host): HostComparison => {
      const ta = ka.get(host) ?? new Map<string, ResultRecord>();
      const tb = kb.get(host) ?? new Map<string, ResultRecord>();
      const only = !a.hosts.includes(host) ? 'b' : !b.hosts.includes(host) ? 'a' : undefined;
      // Run order: a's tasks, then those only b ran.
      const keys = [...new Set([...ta.keys(), ...tb.keys()])];
      const differences = keys
        .map((k) => ({ k, ra: ta.get(k), rb: tb.get(k) }))
        .filter(({ ra, rb }) => differs(side(ra), side(rb)))
        .map(({ ra, rb }): TaskDifference => {
          const r = (ra ?? rb)!;
          return { task: r.task, play: r.play, file: r.file, line: r.line, a: side(ra), b: side(rb) };
        });
      return { host, ...(only ? { only } : {}), differences };
    }),
  };
}

function describe(s: ResultSide | null): string {
  if (!s) return 'not run';
  const what = s.status === 'ok' && s.changed ? 'changed' : s.status;
  return s.error ? `${what} (${s.error.split('\n')[0]})` : what;
}

/** Text for the terminal: a line per differing task, under its host. */
export function comparisonLines(c: RunComparison): string[] {
  const out = [`runs ${c.a} and ${c.b}:`];
  for (const h of c.hosts) {
    if (h.only) {
      out.push(`${h.host}: only in run ${h.only === 'a' ? c.a : c.b}`);
      continue;
    }
    if (!h.differences.length) {
      out.push(`${h.host}: same results`);
      continue;
    }
    out.push(`${h.host}:`);
    for (const d of h.differences) out.push(`  ${d.task} (${d.file}:${d.line}): ${describe(d.a)} -> ${describe(d.b)}`);
  }
  return out;
}
