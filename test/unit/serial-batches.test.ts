import { describe, expect, it } from 'vitest';
import { serialBatches } from '../../src/run/fail-limits.js';

const hosts = ['a', 'b', 'c', 'd', 'e'];
const sizes = (serial: (number | string)[] | undefined, h = hosts) => serialBatches(h, serial).map((b) => b.length);

// Ansible's _get_serialized_batches: a percentage of all the play's hosts, floored, at least 1; the last size repeats.
describe('serial batches', () => {
  it('without serial, one batch of every host', () => expect(sizes(undefined)).toEqual([5]));
  it('a count, a count as text, a percentage floored', () => {
    expect(sizes([2])).toEqual([2, 2, 1]);
    expect(sizes(['2'])).toEqual([2, 2, 1]);
    expect(sizes(['30%'])).toEqual([1, 1, 1, 1, 1]); // 1.5 floors to 1
    expect(sizes(['50%'])).toEqual([2, 2, 1]);
    expect(sizes(['10%'])).toEqual([1, 1, 1, 1, 1]); // 0.5 floors to 0, at least 1
    expect(sizes(['100%'])).toEqual([5]);
  });
  it('a list: each size once, the last repeating, percentages of all hosts', () => {
    expect(sizes([1, '50%'])).toEqual([1, 2, 2]);
    expect(sizes([1, 3, 10])).toEqual([1, 3, 1]);
    expect(serialBatches(hosts, [1, 2])).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });
  it('no hosts: one empty batch (the play still starts and says so)', () => expect(serialBatches([], [1])).toEqual([[]]));
});
