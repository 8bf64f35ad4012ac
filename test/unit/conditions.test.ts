import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compileCondition, evaluateAll, truthy } from '../../src/vars/conditions.js';

const where = { file: 'site.yml', line: 4, col: 11 };

const vars = {
  t: true,
  f: false,
  one: 1,
  two: 2,
  s: 'hello',
  l: [1, 2, 3],
  empty: [] as unknown[],
  o: { k: 'v', n: { deep: 1 } },
  nothing: null,
  hosts: ['k8s-cp1', 'k8s-w1', 'db1'],
  json: '{"x": [10, 20]}',
  pool_address: '10.0.0.1',
};

const ev = (expr: string | boolean | number, v: Record<string, unknown> = vars) => compileCondition(expr, where).evaluate(v);

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

function evalError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) throw new Error(`expected an evaluation error, got InputError ${e.located}`);
    return (e as Error).message;
  }
  throw new Error('expected an evaluation error');
}

describe('truthy (Python/Jinja rules)', () => {
  it.each([
    [false, false], [0, false], ['', false], [[], false], [{}, false], [null, false], [undefined, false],
    [true, true], [1, true], [-1, true], ['false', true], ['no', true], ['0', true], [[0], true], [{ a: 0 }, true],
  ])('truthy(%j) is %s', (v, want) => {
    expect(truthy(v)).toBe(want);
  });
});

describe('precedence', () => {
  it('and binds tighter than or', () => {
    // t or (f and f) is true; (t or f) and f would be false
    expect(ev('t or f and f')).toBe(true);
    expect(ev('(t or f) and f')).toBe(false);
  });

  it('not applies to the whole comparison, and not to and/or', () => {
    // not (1 == 2) is true; (not 1) == 2 would be false
    expect(ev('not one == two')).toBe(true);
    expect(ev('(not one) == two')).toBe(false);
    expect(ev('not t and f')).toBe(false); // (not t) and f
    expect(ev('not f and t')).toBe(true);
    expect(ev('not 4 in l')).toBe(true);
    expect(ev('not not t')).toBe(true);
    expect(ev('t and not f == t')).toBe(true); // t and not (f == t)
  });

  it('filters bind tighter than comparison and arithmetic', () => {
    expect(ev('l | length > 2')).toBe(true);
    expect(ev('empty | length > 0')).toBe(false);
    expect(ev('l | length + 1')).toBe(4);
    expect(ev('one + l | length')).toBe(4);
    expect(ev("missing | default('a') | upper == 'A'")).toBe(true);
  });

  it('arithmetic follows the usual order, ** is left-associative as in Jinja', () => {
    expect(ev('one + two * 3')).toBe(7);
    expect(ev('(one + two) * 3')).toBe(9);
    expect(ev('2 ** 3 ** 2')).toBe(64);
    expect(ev('7 // 2')).toBe(3);
    expect(ev('-7 % 3')).toBe(2);
    expect(ev("s ~ one")).toBe('hello1');
  });

  it('and/or return operands like Python', () => {
    expect(ev('nothing or s')).toBe('hello');
    expect(ev('s and l')).toEqual([1, 2, 3]);
    expect(ev('empty and s')).toEqual([]);
  });
});

describe('comparison and membership', () => {
  it('compares deeply and by type', () => {
    expect(ev('l == [1, 2, 3]')).toBe(true);
    expect(ev('(json | from_json).x == [10, 20]')).toBe(true);
    expect(ev('(json | from_json).x == [20, 10]')).toBe(false);
    expect(ev("one == '1'")).toBe(false);
    expect(ev("s != 'hello'")).toBe(false);
    expect(ev("s < 'help' and one <= 1 and two >= 2 and two > one")).toBe(true);
  });

  it('refuses to order values of different types', () => {
    expect(evalError(() => ev("one < 'x'"))).toBe("cannot compare int with string in condition 'one < 'x''");
  });

  it('in / not in on lists, strings and mappings', () => {
    expect(ev('2 in l')).toBe(true);
    expect(ev('4 not in l')).toBe(true);
    expect(ev('[1, 2] in [[1, 2], [3]]')).toBe(true);
    expect(ev("'ell' in s")).toBe(true);
    expect(ev("'xyz' not in s")).toBe(true);
    expect(ev("'k' in o")).toBe(true);
    expect(ev("'v' in o")).toBe(false);
    expect(ev("'x'   not \n  in s")).toBe(true);
    expect(evalError(() => ev('1 in one'))).toBe("'in' needs a list, string or mapping on the right, got int in condition '1 in one'");
  });

  it('reads members, indices (negative too) and bracketed keys', () => {
    expect(ev('o.n.deep')).toBe(1);
    expect(ev("o['n']['deep']")).toBe(1);
    expect(ev('l[0] + l[-1]')).toBe(4);
    expect(ev('hosts[one]')).toBe('k8s-w1');
    expect(ev("(json | from_json).x[1]")).toBe(20);
  });

  it('knows Python and YAML spellings of constants', () => {
    expect(ev('True and not False')).toBe(true);
    expect(ev('nothing == None and nothing == none and nothing == null')).toBe(true);
  });
});

describe('tests (is ...)', () => {
  it('is defined / is not defined / is undefined, also for nested paths', () => {
    expect(ev('s is defined')).toBe(true);
    expect(ev('missing is defined')).toBe(false);
    expect(ev('missing is not defined')).toBe(true);
    expect(ev('missing is undefined')).toBe(true);
    expect(ev('o.k is defined')).toBe(true);
    expect(ev('o.zz is defined')).toBe(false);
    expect(ev('missing.a.b is defined')).toBe(false);
    expect(ev("o['n'].deep is defined")).toBe(true);
    expect(ev('not missing is defined')).toBe(true);
  });

  it('short-circuits so a guarded undefined variable is never read', () => {
    expect(ev('missing is defined and missing > 1')).toBe(false);
    expect(ev('missing is not defined or missing > 1')).toBe(true);
  });

  it('none, true, false and type tests', () => {
    expect(ev('nothing is none')).toBe(true);
    expect(ev('nothing is not none')).toBe(false);
    expect(ev('t is true and f is false and one is not true')).toBe(true);
    expect(ev('s is string and one is number and l is sequence and o is mapping')).toBe(true);
    expect(ev('two is even and one is odd and 9 is divisibleby(3)')).toBe(true);
  });

  it('match, search and version', () => {
    expect(ev("s is match('he')")).toBe(true);
    expect(ev("s is match('ll')")).toBe(false);
    expect(ev("s is search('ll')")).toBe(true);
    expect(ev("'1.10.2' is version('1.9', '>')")).toBe(true);
    expect(ev("'1.29' is version('1.29.0', '==')")).toBe(false); // LooseVersion: [1, 29] < [1, 29, 0], as Ansible says
    expect(evalError(() => ev("s is match('(')"))).toMatch(/^invalid regular expression '\('/);
  });
});

describe('filters', () => {
  it('default and d replace only undefined unless asked', () => {
    expect(ev('missing | default(5) + 1')).toBe(6);
    expect(ev("missing | d('x')")).toBe('x');
    expect(ev('missing | default')).toBe('');
    expect(ev("nothing | default('x')")).toBeNull();
    expect(ev("'' | default('x', true)")).toBe('x');
    expect(ev('o.zz.q | default(0)')).toBe(0);
  });

  it('bool follows Ansible', () => {
    for (const yes of ["'yes'", "'on'", "'1'", "'true'", "'TRUE'", 'true', '1']) expect(ev(`${yes} | bool`)).toBe(true);
    for (const no of ["'no'", "'off'", "'0'", "'false'", "''", "' yes'", "'maybe'", 'false', '0', '2', '[1]']) expect(ev(`${no} | bool`)).toBe(false);
    expect(ev('nothing | bool')).toBe(null); // Ansible's bool keeps None
  });

  it('number and string conversions', () => {
    expect(ev("'12' | int + 1")).toBe(13);
    expect(ev("'3.7' | int")).toBe(3);
    expect(ev("'abc' | int")).toBe(0);
    expect(ev("'abc' | int(-1)")).toBe(-1);
    expect(ev("'2.5' | float")).toBe(2.5);
    expect(ev('t | string')).toBe('True');
    expect(ev('one | string')).toBe('1');
    expect(ev("'  Ab ' | trim | lower")).toBe('ab');
    expect(ev('s | upper')).toBe('HELLO');
  });

  it('json, lists and mappings', () => {
    expect(ev('json | from_json')).toEqual({ x: [10, 20] });
    expect(ev('o | to_json')).toBe('{"k": "v", "n": {"deep": 1}}'); // Python's json.dumps, as Ansible writes it
    expect(evalError(() => ev('s | from_json'))).toMatch(/^from_json: .* in condition 's \| from_json'$/);
    expect(ev('l | first')).toBe(1);
    expect(ev('l | last')).toBe(3);
    expect(ev('s | first')).toBe('h');
    expect(ev('empty | first is defined')).toBe(false);
    expect(ev('o | keys')).toEqual(['k', 'n']);
    expect(ev('o | length')).toBe(2);
    expect(ev('s | count')).toBe(5);
    expect(ev("'a,b,,c' | split(',')")).toEqual(['a', 'b', '', 'c']);
    expect(ev("' a  b ' | split")).toEqual(['a', 'b']);
    expect(ev("l | join('-')")).toBe('1-2-3');
    expect(ev('[3, 1, 3] | unique')).toEqual([3, 1]);
    expect(ev("hosts | select('match', 'k8s-') | length")).toBe(2);
    expect(ev("hosts | reject('search', 'cp')")).toEqual(['k8s-w1', 'db1']);
    expect(ev('l | max - l | min')).toBe(2);
  });

  it('length of a number is an error, not 0', () => {
    expect(evalError(() => ev('one | length'))).toBe("length of int is not defined in condition 'one | length'");
  });
});

describe('undefined variables at evaluation time', () => {
  it('names the variable and the condition', () => {
    expect(evalError(() => ev('pool_adress == 1'))).toBe("undefined variable 'pool_adress' in condition 'pool_adress == 1'");
    expect(evalError(() => ev('o.zz == 1'))).toBe("undefined variable 'o.zz' in condition 'o.zz == 1'");
    expect(evalError(() => ev('missing.a.b'))).toBe("undefined variable 'missing' in condition 'missing.a.b'");
    expect(evalError(() => ev('missing | length'))).toBe("undefined variable 'missing' in condition 'missing | length'");
    expect(evalError(() => ev('t and missing'))).toBe("undefined variable 'missing' in condition 't and missing'");
    expect(evalError(() => ev('l[missing]'))).toBe("undefined variable 'missing' in condition 'l[missing]'");
  });
});

describe('prototype access', () => {
  it('never reaches Object.prototype or constructors', () => {
    expect(evalError(() => ev('o.constructor'))).toBe("undefined variable 'o.constructor' in condition 'o.constructor'");
    expect(evalError(() => ev("o['__proto__']"))).toBe("undefined variable 'o['__proto__']' in condition 'o['__proto__']'");
    expect(evalError(() => ev('o.toString'))).toBe("undefined variable 'o.toString' in condition 'o.toString'");
    expect(evalError(() => ev('s.constructor.name'))).toBe("undefined variable 's.constructor' in condition 's.constructor.name'");
    expect(ev('l.constructor is defined or l.push is defined or s.toString is defined')).toBe(false);
    expect(ev('constructor is defined or hasOwnProperty is defined or __proto__ is defined')).toBe(false);
    expect(ev("o['prototype'] is defined")).toBe(false);
  });

  it('treats an own __proto__ key from JSON as unreadable data and pollutes nothing', () => {
    const v = { j: '{"__proto__": {"polluted": 1}, "a": 1}' };
    expect(ev('(j | from_json).a', v)).toBe(1);
    expect(ev('(j | from_json).__proto__ is defined', v)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects calls so no function can be reached', () => {
    const e = inputError(() => compileCondition("s.constructor('return 1')()", where));
    expect(e.message).toBe("condition 's.constructor('return 1')()': this call is not supported");
    expect(inputError(() => compileCondition("s.format('x')", where)).message).toBe("condition 's.format('x')': method 'format' is not supported");
    expect(inputError(() => compileCondition("exec('x')", where)).message).toBe("condition 'exec('x')': function 'exec' is not supported");
    // the Python methods fabric knows are calls on data only
    expect(ev("s.startswith('h')")).toBe(true);
    expect(evalError(() => ev('l.startswith(1)'))).toBe("list has no method 'startswith' in condition 'l.startswith(1)'");
  });
});

describe('compile-time errors', () => {
  it('rejects {{ }} in a condition with the bare form as hint', () => {
    const e = inputError(() => compileCondition('{{ x == 1 }}', where));
    expect(e.message).toBe('conditions are bare expressions: remove the {{ }}');
    expect(e.hint).toBe('write: x == 1');
    expect(e.pos).toEqual(where);
    expect(() => compileCondition("x == '{{'", where)).not.toThrow();
  });

  it('reports syntax errors at where with a short reason', () => {
    const e = inputError(() => compileCondition('x ==', where));
    expect(e.located).toBe("site.yml:4:11: condition 'x ==': syntax: Expected expression after == at the end");
    expect(inputError(() => compileCondition('x == (1', where)).message).toMatch(/^condition 'x == \(1': syntax: /);
    expect(inputError(() => compileCondition('a b', where)).message).toBe("condition 'a b': expected one expression");
  });

  it('suggests the Jinja spelling of JavaScript operators', () => {
    expect(inputError(() => compileCondition('a && b')).message).toBe("condition 'a && b': use 'and' instead of '&&'");
    expect(inputError(() => compileCondition('a || b')).message).toBe("condition 'a || b': use 'or' instead of '||'");
    expect(inputError(() => compileCondition('!a')).message).toBe("condition '!a': use 'not' instead of '!'");
    expect(inputError(() => compileCondition('a === b')).message).toBe("condition 'a === b': use '==' instead of '==='");
  });

  it('knows filter and test names and their argument counts', () => {
    const f = inputError(() => compileCondition('x | lenght > 0', where));
    expect(f.message).toBe("condition 'x | lenght > 0': unknown filter 'lenght'");
    expect(f.hint).toBe("did you mean 'length'?");
    expect(inputError(() => compileCondition('x is defind')).hint).toBe("did you mean 'defined'?");
    expect(inputError(() => compileCondition("x | replace('a')")).message).toBe("condition 'x | replace('a')': filter 'replace' takes 2 to 3 argument(s), got 1");
    expect(inputError(() => compileCondition('x | first.name')).message).toBe("condition 'x | first.name': expected a filter name after '|'");
  });

  it('rejects an empty or non-scalar condition', () => {
    expect(inputError(() => compileCondition('  ', where)).message).toBe('empty condition');
    expect(inputError(() => compileCondition(null as unknown as string, where)).message).toBe('a condition must be a string, boolean or number, not null');
  });
});

describe('compileCondition results', () => {
  it('lists the top-level names read, not filters, tests or constants', () => {
    expect(compileCondition("a.b[c] is defined and d | default(e) in ['x', f] and True").names.sort()).toEqual(['a', 'c', 'd', 'e', 'f']);
  });

  it('accepts YAML booleans and numbers as constant conditions', () => {
    const c = compileCondition(false);
    expect(c.evaluate({})).toBe(false);
    expect(c.names).toEqual([]);
    expect(compileCondition(0).evaluate({})).toBe(0);
    expect(evaluateAll([compileCondition(1), compileCondition(true)], {})).toBe(true);
  });

  it('caches by source text', () => {
    expect(compileCondition('one == 1 and two == 2')).toBe(compileCondition('one == 1 and two == 2'));
  });

  it('keeps string values truthy in the Jinja way ("false" is true) unless | bool', () => {
    expect(truthy(ev('flag', { flag: 'false' }))).toBe(true);
    expect(ev('flag | bool', { flag: 'false' })).toBe(false);
  });
});

describe('evaluateAll', () => {
  it('needs every condition and stops at the first false one', () => {
    const c = (s: string) => compileCondition(s);
    expect(evaluateAll([c('t'), c('one == 1')], vars)).toBe(true);
    expect(evaluateAll([c('t'), c('empty')], vars)).toBe(false);
    // the second condition would throw (undefined variable) if it were evaluated
    expect(evaluateAll([c('f'), c('missing > 1')], vars)).toBe(false);
    expect(() => evaluateAll([c('t'), c('missing > 1')], vars)).toThrow("undefined variable 'missing' in condition 'missing > 1'");
  });
});

describe('backslashes in string literals, as Ansible reads them', () => {
  // Checked against ansible-core 2.14: conditions decode Python escapes, {{ }} keeps backslashes as written.
  it('conditions: \\n is a newline, \\\\ one backslash, \\1 chr(1), unknown escapes stay', () => {
    expect(ev("'x\\ny' | length")).toBe(3);
    expect(ev("'a1' | regex_replace('(\\d)', '<\\\\1>')")).toBe('a<1>');
    expect(ev("'a1' | regex_replace('(\\d)', '<\\1>')")).toBe('a<\x01>');
    expect(ev("'a1' is match('a\\d')")).toBe(true);
  });
});

