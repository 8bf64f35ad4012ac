/**
 * Expressions with the variables they read, for comparing fabric's evaluator with Ansible's own
 * (test/integration/expressions-oracle.test.ts). Each must give the same value in both, or fail in
 * both (`fails`). Whole-number float results compare as numbers (JSON has no 2.0).
 */
export const ORACLE_VARS = {
  s: 'Hello World',
  csv: 'a,b,,c',
  n: 5,
  f: 2.5,
  neg: -3,
  t: true,
  no: false,
  nil: null,
  l: [3, 1, 2],
  words: ['b', 'A', 'c', 'a'],
  dups: [1, 2, 2, 3, 1],
  nested: [[1, [2]], [3], null],
  users: [
    { name: 'ann', uid: 1001, groups: ['adm', 'sudo'] },
    { name: 'bob', uid: 1002, shell: '/bin/zsh' },
    { name: 'cy', uid: 50, groups: ['daemon'] },
  ],
  d: { b: 2, a: 1 },
  deep: { x: { y: { z: 1 } }, list: [1, 2], keep: 'k' },
  other: { x: { y: { w: 2 } }, list: [3] },
  ver: '1.30.2',
  path: '/etc/kubernetes/admin.conf',
  json_s: '{"a": [1, 2], "b": null}',
  yaml_s: 'a: 1\nb: [x, y]\n',
  grp: { k8s: ['cp1', 'w1', 'w2'], router: ['r1'] },
  hv: { r1: { addr: '10.0.0.1' }, cp1: { addr: '10.0.0.10', role: 'control' } },
  res_ok: { changed: false, rc: 0 },
  res_changed: { changed: true, rc: 0 },
  res_failed: { failed: true, rc: 1, changed: false },
  res_skipped: { skipped: true, changed: false },
  res_loop: { changed: false, results: [{ changed: false }, { changed: true }] },
  kv: 'k=v,x=y',
  digits: 'a1b22c333',
};

export interface OracleCase {
  expr: string;
  /** Both must fail (an error, not a value). */
  fails?: boolean;
}

const ok = (...exprs: string[]): OracleCase[] => exprs.map((expr) => ({ expr }));
const failing = (...exprs: string[]): OracleCase[] => exprs.map((expr) => ({ expr, fails: true }));

export const ORACLE_CASES: OracleCase[] = [
  // access
  ...ok("grp['k8s']", 'grp.k8s[0]', "grp['k8s'][-1]", 'hv[grp.router[0]].addr', "hv['cp1']['role']", 'users[0].name', 'users[-1].uid', "users[1]['shell']", 's[0]', 's[-1]', 'l[1]', "d['a']", 'd.a + d.b', 'deep.x.y.z'),
  // literals
  ...ok("[1, 'a', none, true]", "{'k': [1, 2]}", "{'a': n, 'b': s}", '[]', '{}', "'it''s'", "'it' \"s\"", "'a\\nb' | length", '-n', '3.25', 'True', 'False', 'None'),
  // arithmetic and strings
  ...ok('n + 2', 'n - 7', 'n * 3', 'n / 2', 'n // 2', 'n % 3', '-7 % 3', '-7 // 2', '2 ** 10', 'n * f', "'ab' * 3", '[1] * 3', 'l + [4]', "s ~ n", "s ~ ' ' ~ t", "'x' ~ nil", "'a' + 'b'", '(l | sum) / (l | length)', '1 + 2 * 3 - 4', '(1 + 2) * 3', '2 ** 3 ** 2', '10 - 2 - 3'),
  // comparisons and logic
  ...ok('n > 3', 'n == 5.0', "'a' < 'b'", 'l == [3, 1, 2]', "d == {'a': 1, 'b': 2}", 'n != 5', 'n >= 5 and n <= 5', 't and n', "no or 'x'", 'not nil', 'nil or 0', 't and not no', 'not t or no', '1 in l and 2 in l', '(n > 3) and (n < 10)', "'a' in words", "'z' not in words", "'ell' in s", "'a' in d", 'not 4 in l', 'no and undefined_x', 't or undefined_x'),
  // conditional expressions
  ...ok("'a' if t else 'b'", "'a' if no else 'b' if t else 'c'", 'n if n > 3 else 0', "(s | length) if s is defined else -1", "'set' if undefined_x is defined else 'unset'"),
  // tests
  ...ok('n is number', 's is string', 'l is sequence', 'd is mapping', 'n is even', 'n is odd', 'n is divisibleby(5)', 'l is iterable', "s is match('Hel')", "s is match('World')", "s is search('World')", "s is regex('o W')", "ver is version('1.29', '>=')", "ver is version('1.30.10', '<')", "'1.9' is version('1.10', 'lt')", "'1.29' is version('1.29.0', '==')", "ver is version('1.30.2', 'eq')", 'res_ok is succeeded', 'res_ok is success', 'res_failed is failed', 'res_failed is succeeded', 'res_changed is changed', 'res_ok is changed', 'res_loop is changed', 'res_skipped is skipped', 'res_ok is skipped', 'undefined_x is defined', 'undefined_x is undefined', 'undefined_x is not defined', 'nil is none', 't is true', 'no is false', 't is boolean', 'f is float', 'n is integer', 'f is integer', "'abc' is lower", 's is lower', "'ABC' is upper", '[1, 2] is subset(l)', 'l is superset([1])', "3 is in(l)", "'/etc' is directory", "'/etc/hostname' is file", "'/nonexistent-fabric' is exists", "'/etc' is abs", "'etc' is abs", 'n is eq(5)', 'n is gt(4)', "n is ge(6)", 'd is not mapping'),
  // strings
  ...ok('s | length', 's | lower', 's | upper', "'  pad ' | trim", "'xxhixx' | trim('x')", "s | replace('World', 'There')", "'aaa' | replace('a', 'b', 2)", 's | capitalize', "'hello big world' | title", 's | count', 's | list | length', 's | reverse', "s | reverse | join('-')", "'abc' | join", "'A-B_C' | lower | replace('-', '_')", "csv | split(',')", 'csv.split(",")', 's.split()', "'a b  c'.split(' ')", "'a.b.c'.split('.', 1)", "'a.b.c'.rsplit('.', 1)", 's.lower()', 's.upper()', "s.startswith('Hell')", "s.endswith('World')", "'  x  '.strip()", "'xxhixx'.strip('x')", "'  x  '.lstrip()", "s.replace('l', 'L')", "s.find('o')", "s.count('l')", "'-'.join(words)", "'42'.isdigit()", "'7'.zfill(3)", "'a\\nb\\n'.splitlines()"),
  // regular expressions
  ...ok("s | regex_replace('o', '0')", "s | regex_replace('(\\w+) (\\w+)', '\\2 \\1')", "s | regex_replace('^h', 'J', ignorecase=true)", "ver | regex_replace('^(\\d+)\\.(\\d+).*$', '\\1.\\2')", "s | regex_replace('(?P<first>\\w+) .*', '\\g<first>!')", "s | regex_search('W\\w+')", "s | regex_search('(\\w+) (\\w+)', '\\2')", "s | regex_search('nomatch')", "s | regex_findall('o')", "digits | regex_findall('\\d+')", "kv | regex_findall('(\\w)=(\\w)')", "'a.b*c' | regex_escape", "s | regex_findall('L', ignorecase=true)"),
  // numbers and conversions
  ...ok("'42' | int", "'3.7' | int", "'0x1A' | int(base=16)", "'ff' | int(base=16)", "'abc' | int", "'abc' | int(7)", "'2.5' | float", 'n | float', 'n | string', 't | string', "'yes' | bool", "'off' | bool", '1 | bool', "'True' | bool", 'f | round', '2.567 | round(2)', '2.5 | round', '-2.5 | round', "2.1 | round(0, 'ceil')", "2.9 | round(0, 'floor')", 'neg | abs', "'12' | int + 1", "[n, f] | max", "[n, f] | min"),
  // lists
  ...ok('l | first', 'l | last', 'l | min', 'l | max', 'l | sum', 'l | sort', 'l | sort(reverse=true)', 'words | sort', 'words | sort(case_sensitive=true)', 'words | min', 'words | max', 'l | reverse | list', 'l | join', "l | join('-')", 'l | join(1)', "[1, [2, [3, [4]]]] | flatten", "[1, [2, [3, [4]]]] | flatten(levels=1)", 'nested | flatten', 'dups | unique', 'words | unique', "words | unique(case_sensitive=true)", '[1, 2, 3] | difference([2])', '[1, 2] | union([2, 3])', '[1, 2, 3] | intersect([3, 2, 9])', '[1, 2] | symmetric_difference([2, 3])', "[1, 2] | zip(['a', 'b']) | list", 'l | max * 2', 'l | list | first', 'range(3) | list', 'range(1, 10, 3) | list', 'range(5, 0, -2) | list', "[0, 1, '', 'a', none] | select | list", 'l | select("odd") | list', 'l | reject("even") | list', "l | select('gt', 1) | list", "l | select('>', 1) | list", "l | map('string') | list", "words | map('upper') | list", "['1', '2'] | map('int') | sum", "words | map('lower') | unique | list", 'dups | length', "l.index(1)", "dups.count(2)"),
  // lists of mappings
  ...ok("users | map(attribute='name') | list", "users | map(attribute='name') | join(', ')", "users | sort(attribute='uid') | map(attribute='name') | list", "users | selectattr('shell', 'defined') | map(attribute='name') | list", "users | rejectattr('shell', 'defined') | map(attribute='name') | list", "users | selectattr('uid', 'gt', 1000) | list | length", "users | rejectattr('uid', 'lt', 1000) | map(attribute='uid') | list", "users | selectattr('name', 'match', 'a|b') | map(attribute='uid') | list", "users | selectattr('name', 'in', ['ann', 'cy']) | list | length", "users | map(attribute='groups', default=[]) | flatten | list", "users | map(attribute='uid') | select('ge', 1000) | list", "users | map(attribute='uid') | max", "users | min(attribute='uid')", "users | max(attribute='uid') | to_json", "users | items2dict(key_name='name', value_name='uid')", "users | sum(attribute='uid')", "users | length", "users | selectattr('groups', 'defined') | map(attribute='groups') | map('length') | list"),
  // mappings
  ...ok('d | dict2items', "d | dict2items(key_name='k', value_name='v')", "[{'key': 'a', 'value': 1}] | items2dict", 'd | dict2items | items2dict', "d | dict2items | map(attribute='key') | list", "d | combine({'c': 3})", 'deep | combine(other)', 'deep | combine(other, recursive=true)', "deep | combine(other, recursive=true, list_merge='append')", "{'a': 1} | combine({'b': 2}, {'a': 3})", 'd | list', 'd | length', 'd.keys() | list', 'd.values() | list', 'd.items() | list', "d.get('a')", "d.get('zz', 9)", "d.get('zz')", 'd | items | list'),
  // JSON and YAML
  ...ok('json_s | from_json', "(json_s | from_json).a[1]", 'd | to_json', 'deep | to_json', 'users | to_json', 'd | to_nice_json', 'd | to_nice_json(indent=2)', "'é' | to_json", "[1, 'x', none, true] | to_json", 'yaml_s | from_yaml', '(d | to_yaml) | from_yaml', '(users | to_nice_yaml) | from_yaml', "'- a\\n- b' | from_yaml"),
  // encodings, hashes, paths
  ...ok("'hello' | b64encode", "'aGVsbG8=' | b64decode", "'hello' | hash('md5')", "'hello' | hash('sha256')", "'hello' | hash", "'hello' | checksum", "'hello' | sha1", "'hello' | md5", "'hello' | password_hash('sha512', 'mysalt')", "'hello' | password_hash('sha256', 'mysalt', rounds=10000)", "'hello' | password_hash('sha512') | length", 'path | basename', 'path | dirname', "'/a/b/' | dirname", "'file' | dirname", "'/' | dirname", "'a b' | quote", "'simple' | quote", "'' | quote"),
  // ternary, default, mandatory, type_debug
  ...ok("t | ternary('y', 'n')", "nil | ternary('y', 'n', 'none')", "no | ternary('y', 'n')", "undefined_x | default('dflt')", 'undefined_x | d(3)', "'' | default('e', true)", "'' | default('e')", "nil | default('x')", "undefined_x.y | default('deep')", "users[0].shell | default('/bin/sh')", 'n | mandatory', "1 | type_debug", "'x' | type_debug", "[] | type_debug", "{} | type_debug", "1.5 | type_debug", "true | type_debug"),
  // versions and parsing, as roles use them
  ...ok("ver.split('.') | map('int') | list", "ver.split('.')[0] | int >= 1", "ver is version('1.30', '>=') and ver is version('1.31', '<')", "'10.0.0.1'.split('.')[-1] | int + 1", "ver | regex_search('^\\d+\\.\\d+')", "(grp.k8s | first) ~ '-' ~ (grp.k8s | last)", "grp['k8s'] | map('upper') | list", "grp.k8s | length", "grp.k8s | map('regex_replace', '^', 'node-') | list"),
  // slices, as Python has them
  ...ok('s[:5]', 's[6:]', 's[-5:]', 's[::-1]', 's[1:-1:3]', 'l[1:]', 'l[:-1]', 'l[::2]', 'l[::-1]', 'l[5:]', 'l[-9:2]', "l[None:2]", 'users[1:] | map(attribute=\'name\') | list', "ver.split('.')[:2] | join('.')", "grp.k8s[1:]", "[l[:1], s[:1]]", 'l[1:2] | length'),
  // errors in both
  ...failing('l[::0]', "l['a':]", 'undefined_x | upper', 'undefined_x | mandatory', 's | from_json', '1 / 0', "n + 'x'", 'users[9].name', 'undefined_x.y'),
];
