import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadInventoryText, resolvePattern } from '../../src/inventory/index.js';

// Inventory order: web1 web2 db1 db2 lb1 10.0.0.9 fe80::1 cache1
const inv = loadInventoryText(
  'inv/hosts.yml',
  `all:
  hosts:
    lone:
  children:
    web:
      hosts: {web1: , web2: }
    db:
      hosts: {db1: , db2: }
      children:
        replicas:
          hosts: {db2: }
    lb:
      hosts: {lb1: , 10.0.0.9: , "fe80::1": }
    cache:
      hosts: {cache1: }
    empty:
`,
);
const r = (p: string) => resolvePattern(inv, p);
const where = { file: 'play.yml', line: 3, col: 10 };

function errorOf(p: string): InputError {
  try {
    resolvePattern(inv, p, where);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`pattern '${p}' resolved without error`);
}

describe('host patterns', () => {
  it('names, groups, all and *', () => {
    expect(r('web1')).toEqual(['web1']);
    expect(r('db')).toEqual(['db1', 'db2']);
    expect(r('all')).toEqual(inv.hostNames);
    expect(r('*')).toEqual(inv.hostNames);
    expect(r('ungrouped')).toEqual(['lone']);
    expect(r('empty')).toEqual([]);
  });

  it('unions with : and , keep inventory order and drop duplicates', () => {
    expect(r('db:web')).toEqual(['web1', 'web2', 'db1', 'db2']);
    expect(r('db2,web1, db')).toEqual(['web1', 'db1', 'db2']);
  });

  it('intersection and exclusion apply after all unions, whatever their position', () => {
    expect(r('db:&replicas')).toEqual(['db2']);
    expect(r('all:!db')).toEqual(['lone', 'web1', 'web2', 'lb1', '10.0.0.9', 'fe80::1', 'cache1']);
    expect(r('!db:web')).toEqual(['web1', 'web2']); // exclusion is applied last, so web still counts
    expect(r('web:!web2:db:&web1')).toEqual(['web1']);
  });

  it('only exclusions/intersections start from all', () => {
    expect(r('!web:!db:!lb')).toEqual(['lone', 'cache1']);
    expect(r('&db')).toEqual(['db1', 'db2']);
  });

  it('wildcards on host and group names', () => {
    expect(r('web*')).toEqual(['web1', 'web2']); // group web and hosts web1/web2
    expect(r('*1')).toEqual(['web1', 'db1', 'lb1', 'fe80::1', 'cache1']);
    expect(r('db?')).toEqual(['db1', 'db2']);
    expect(r('c*:&*1')).toEqual(['cache1']);
    expect(r('10.0.0.*')).toEqual(['10.0.0.9']); // dots are literal, not regex
  });

  it('~regex matches from the start of the name, like Python re.match', () => {
    expect(r('~(web|db)\\d')).toEqual(['web1', 'web2', 'db1', 'db2']);
    expect(errorOf('~b\\d').message).toMatch(/^unknown host or group/); // web1 contains b1 but does not start with it
    expect(r('~.*b\\d')).toEqual(['web1', 'web2', 'db1', 'db2', 'lb1']);
  });

  it('subscripts pick by position within the group (end inclusive, like Ansible)', () => {
    expect(r('web[0]')).toEqual(['web1']);
    expect(r('web[-1]')).toEqual(['web2']);
    expect(r('lb[1:2]')).toEqual(['10.0.0.9', 'fe80::1']);
    expect(r('lb[1:]')).toEqual(['10.0.0.9', 'fe80::1']);
    expect(r('lb[:0]')).toEqual(['lb1']);
    expect(r('web[5]')).toEqual([]);
    expect(r('web[1]:db[0]')).toEqual(['web2', 'db1']);
  });

  it('a name that is both a group and a host means the group, as in Ansible', () => {
    const shared = loadInventoryText('inv/hosts.yml', 'router:\n  hosts: {router: , router2: }\nother:\n  hosts: {x: }\n');
    expect(resolvePattern(shared, 'router')).toEqual(['router', 'router2']);
    expect(resolvePattern(shared, 'router:!router2')).toEqual(['router']);
  });

  it('an IPv6 host name is one term', () => {
    expect(r('fe80::1')).toEqual(['fe80::1']);
    expect(r('fe80::1,web1')).toEqual(['web1', 'fe80::1']);
  });

  it('unknown names are errors at the given position, with did-you-mean', () => {
    const e = errorOf('wbe:db');
    expect(e.message).toBe("unknown host or group 'wbe' in pattern 'wbe:db'");
    expect(e.pos).toEqual(where);
    expect(e.hint).toBe("did you mean 'web'?");
    expect(errorOf('all:!dbb').message).toBe("unknown host or group 'dbb' in pattern 'all:!dbb'");
    expect(errorOf('zz*').message).toBe("unknown host or group 'zz*' in pattern 'zz*'");
    expect(errorOf('xyzzy').hint).toBeUndefined();
  });

  it('empty patterns and bad regexes are errors', () => {
    expect(errorOf('').message).toBe('empty host pattern');
    expect(errorOf('web:!').message).toBe("empty host pattern term in 'web:!'");
    expect(errorOf('~(').message).toMatch(/^invalid regular expression '~\(' in pattern '~\('/);
  });
});
