// verify.yml reads FRR's JSON through from_json, typed, instead of grep | wc in a shell pipe
// without pipefail. The FIB count on real FRR output (captured from the lab's router with one of
// the four speakers stopped: three next hops in the FIB), and on no output at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderString } from '../../src/vars/template.js';
import { REPO } from './render-vars.js';

const play = (parse(readFileSync(join(REPO, 'playbooks', 'verify.yml'), 'utf8')) as { vars?: Record<string, string> }[])[0]!;
const count = (stdout: string) => renderString(play.vars!.verify_fib_nexthops!, { verify_fib: { stdout }, metallb_test_address: '172.16.1.220' });

describe('verify.yml: FIB next hops from FRR JSON', () => {
  it('counts the next hops installed in the FIB', () => {
    expect(count(readFileSync(join(REPO, 'test', 'fixtures', 'frr-route-3-of-4-nexthops.json'), 'utf8'))).toBe(3);
  });
  it('no route, or no output yet: zero, not an error (the probe polls)', () => {
    expect(count('')).toBe(0);
    expect(count('{}')).toBe(0);
  });
});
