// The fault-injection suite, short: bench/faults.mjs on a flat lab of its own ("fi2": its hosts get
// killed, the shared lab must not), the seven fault kinds in turn, three runs of each. Every run is
// checked (exit code and recap against the hosts' files, no half-written file, the next run
// converges and a further pass changes nothing, no temp file left); any violation fails here with
// its seed, run, fault, host and file. `npm run faults -- --runs 300` is the long form.
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs bench script, no type declarations
import { KINDS, runFaults } from '../../bench/faults.mjs';
import { describeLab } from '../support/lab.js';

interface Counts {
  seed: number;
  runs: number;
  cleanRuns: number;
  injected: Record<string, number>;
  missed: Record<string, number>;
  violations: unknown[];
}

describeLab('fault injection (own lab "fi2", 3 hosts)', () => {
  it('21 runs, each with a fault of a kind in turn: no violation, every kind injected', async () => {
    const lines: string[] = [];
    const counts = (await runFaults({ runs: 21, seed: 2112, hosts: 3, name: 'fi2', cycle: true, log: (s: string) => lines.push(s) })) as Counts;
    const why = `${JSON.stringify(counts, null, 2)}\n${lines.join('\n')}`;
    expect(counts.runs).toBe(21);
    expect(counts.cleanRuns, why).toBe(22);
    expect(counts.violations, why).toEqual([]);
    for (const k of KINDS as string[]) expect(counts.injected[k], `${k} never landed during a run\n${why}`).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
