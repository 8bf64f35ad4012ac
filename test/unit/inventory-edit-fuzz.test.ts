import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadInventoryText } from '../../src/inventory/index.js';
import * as E from '../../src/inventory/edits.js';
import { applyEdits } from '../../src/inventory/text-edit.js';

const LAYOUTS: Record<string, string> = {
  commented: readFileSync('test/fixtures/inventory/commented/hosts.yml', 'utf8'),
  nested: readFileSync('test/fixtures/inventory/lab/hosts.yml', 'utf8'),
  flow: 'all:\n  children:\n    web: {hosts: {w1: , w2: {a: 1}}, vars: {x: 1}}\n    db:\n      hosts:\n        d1: ~\n',
  trailing: 'web:\n  hosts:\n    w1:\n\n\n# end\n',
  blockScalar: 'all:\n  hosts:\n    a: {x: [1, 2], y: {z: 1}}\n  vars:\n    n: |\n      multi\n      line\n',
};
const VALUES: unknown[] = [1, 'x', null, [1], { a: 1 }, 'multi\nline', true, 'a, b', '{x}', '#c', 'x: y', '', ' lead', 'yes', '0x10', [{ 'k k': 'v,w' }], "it's", '"q"'];

/** Deterministic LCG so a failure replays. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

describe('random edit sequences', () => {
  for (const [name, start] of Object.entries(LAYOUTS)) {
    it(`${name}: every accepted edit splices to exactly the intended data and still loads`, () => {
      const r = rng(name.length * 7919);
      const pick = <T>(a: T[]): T => a[r(a.length)]!;
      let text = start;
      let applied = 0;
      for (let i = 0; i < 15; i++) {
        const inv = loadInventoryText('x/hosts.yml', text);
        const host = () => pick(inv.hostNames.length ? inv.hostNames : ['none']);
        const target = (): E.VarTarget => (r(2) ? { host: host() } : { group: pick(inv.groupNames) });
        const plans = [
          () => E.planAddHost(inv, `n${i}`, pick(inv.groupNames), r(2) ? {} : { v: pick(VALUES) }),
          () => E.planRemoveHost(inv, host()),
          () => E.planAddGroup(inv, `g${i}`, pick(inv.groupNames.filter((g) => g !== 'ungrouped'))),
          () => E.planRemoveGroup(inv, pick(inv.groupNames), r(3) === 0),
          () => E.planSetVars(inv, target(), { [`k${r(4)}`]: pick(VALUES) }),
          () => E.planUnsetVars(inv, target(), [`k${r(4)}`]),
        ];
        let next: string;
        try {
          next = applyEdits(text, pick(plans)().ops); // throws a plain Error if a splice misses
        } catch (e) {
          if (e instanceof InputError) continue; // a refusal (exists, has hosts, ...) is fine here
          throw e;
        }
        loadInventoryText('x/hosts.yml', next);
        text = next;
        applied++;
      }
      expect(applied).toBeGreaterThan(6);
    }, 30_000); // each edit parses the YAML a few times; a loaded CI box is slow at that
  }
});
