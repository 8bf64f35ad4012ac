/** One direction of the lab's slow link (src/lab/delay-proxy.ts). */
import type { Readable, Writable } from 'node:stream';

export interface Link {
  /** ms every chunk waits: half the round-trip time */
  oneWay: number;
  /** ms more a lost chunk waits (and everything behind it) */
  rto: number;
  /** the loss percentage now (it may change while connections are open) */
  loss: () => number;
}

/**
 * Copies from to to, each chunk released oneWay ms after it arrived (later for a lost one), never
 * reordered: one FIFO queue and one timer for its head. (A timer per chunk reorders: Node sets a
 * timer's expiry from the loop's cached clock, so a chunk due in the same millisecond as the one
 * before it can fire first, and a reordered SSH stream fails its MAC check.)
 */
export function delayed(from: Readable, to: Writable, link: Link, onEnd: () => void): void {
  let queue: { release: number; chunk: Buffer }[] = [];
  let head = 0; // queue[head] is the next chunk out
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const drain = () => {
    timer = undefined;
    const now = Date.now();
    while (head < queue.length && queue[head]!.release <= now) to.write(queue[head++]!.chunk);
    queue = queue.slice(head);
    head = 0;
    if (queue.length) timer = setTimeout(drain, queue[0]!.release - now);
    else if (ended) onEnd();
  };
  from.on('data', (chunk: Buffer) => {
    const loss = link.loss();
    const lost = loss > 0 && Math.random() * 100 < loss;
    const last = queue.length ? queue[queue.length - 1]!.release : 0;
    queue.push({ release: Math.max(Date.now() + link.oneWay + (lost ? link.rto : 0), last), chunk });
    if (!timer) timer = setTimeout(drain, queue[0]!.release - Date.now());
  });
  from.on('end', () => {
    ended = true;
    if (!timer) drain();
  });
}
