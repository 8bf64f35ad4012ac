import type { Reporter } from '../run/events.js';
import { loadDiffRenderer } from './diff.js';
import { JsonReporter } from './json.js';
import { PlainReporter } from './plain.js';

export { formatRecapLine } from './recap.js';
export type { JsonReport } from './json.js';

export interface ReporterOptions {
  mode: 'live' | 'plain' | 'json';
  verbose: number;
  diff: boolean;
  /** Defaults to process.stdout. */
  out?: NodeJS.WritableStream;
  /** Clock for the recap's total duration (tests). */
  now?: () => number;
}

/** Redrawing rows needs a terminal that says how wide it is (a pty of 0 columns wraps every character). */
function canRedraw(out: NodeJS.WritableStream): boolean {
  const tty = out as { isTTY?: boolean; columns?: number };
  if (tty.isTTY !== true || process.env.TERM === 'dumb') return false;
  // listr2 wraps to process.stdout's width whatever stream it draws on.
  return tty.columns !== 0 && process.stdout.columns !== 0;
}

/**
 * The renderer for a run: listr2 on a terminal, Ansible-like lines otherwise, or one JSON document.
 * listr2 and jsdiff load only when this run draws rows or prints diffs (they cost start-up time).
 */
export async function createReporter(opts: ReporterOptions): Promise<Reporter> {
  const out = opts.out ?? process.stdout;
  const streamOpts = { verbose: opts.verbose, diff: opts.diff, out, now: opts.now };
  if (opts.diff && opts.mode !== 'json') await loadDiffRenderer();
  switch (opts.mode) {
    case 'json':
      return new JsonReporter(out);
    case 'live':
      // Redirected output or a dumb terminal cannot redraw rows: fall back to lines.
      if (canRedraw(out)) return new (await import('./live.js')).LiveReporter(streamOpts);
      return new PlainReporter(streamOpts);
    case 'plain':
      return new PlainReporter(streamOpts);
  }
}
