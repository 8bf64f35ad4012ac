import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkTemplate, isTemplated, renderDeep, renderString, renderText, templateHelperNames } from '../../src/vars/template.js';
import { coverRange, parseIpv4 } from '../../src/vars/ipv4-ranges.js';

const where = { file: 'site.yml', line: 10, col: 5 };

const vars = {
  pool_address: '10.0.0.1',
  port: 6443,
  enabled: true,
  nothing: null,
  empty: [] as string[],
  groups: { k8s: ['cp1', 'w1'] },
  hostvars: { cp1: { fabric_host: '127.0.0.2' }, w1: { fabric_host: '127.0.0.3' } },
  cfg: { a: { b: 1 } },
  name: '  Mixed Case  ',
};

/** The InputError a call throws (fails the test if it does not throw one). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('isTemplated', () => {
  it('is true only for text containing {{', () => {
    expect(isTemplated('a {{ b }}')).toBe(true);
    expect(isTemplated('a { b }')).toBe(false);
  });
});

describe('renderString native types', () => {
  it('returns the value itself for a lone variable reference', () => {
    expect(renderString('{{ groups.k8s }}', vars)).toEqual(['cp1', 'w1']);
    expect(renderString('{{port}}', vars)).toBe(6443);
    expect(renderString('  {{ enabled }}\n', vars)).toBe(true);
    expect(renderString('{{ cfg }}', vars)).toEqual({ a: { b: 1 } });
    expect(renderString('{{ hostvars.cp1.fabric_host }}', vars)).toBe('127.0.0.2');
    expect(renderString('{{{ port }}}', vars)).toBe(6443);
    expect(renderString('{{ nothing }}', vars)).toBeNull();
    expect(renderString('{{ groups.k8s.[1] }}', vars)).toBe('w1');
  });

  it('returns the same object, not a copy, so loops see the real list', () => {
    expect(renderString('{{ groups.k8s }}', vars)).toBe(vars.groups.k8s);
  });

  it('renders to a string when there is anything else around', () => {
    expect(renderString('{{port}}/tcp', vars)).toBe('6443/tcp');
    expect(renderString('port {{ add port 1 }}', vars)).toBe('port 6444');
    expect(renderString('{{port}}{{port}}', vars)).toBe('64436443');
    expect(renderString('{{add port 1}}{{add port 1}}', vars)).toBe('64446444');
    expect(renderText('{{#each nums}}{{this}}{{this}}{{@index}},{{/each}}', { nums: [1, 2] })).toBe('110,221,');
  });

  it('shows lists and mappings inside a longer string as JSON', () => {
    expect(renderString('hosts: {{ groups.k8s }}', vars)).toBe('hosts: ["cp1","w1"]');
    expect(renderString('cfg={{cfg}}', vars)).toBe('cfg={"a":{"b":1}}');
  });

  it('returns strings without {{ unchanged and does not escape HTML', () => {
    expect(renderString('plain <b>&', vars)).toBe('plain <b>&');
    expect(renderString('{{name}}<&>', { name: '"q"' })).toBe('"q"<&>');
  });

  it('renders differently for different variables with the same text (cache is per text only)', () => {
    expect(renderString('x{{ port }}', { port: 1 })).toBe('x1');
    expect(renderString('x{{ port }}', { port: 2 })).toBe('x2');
  });
});

describe('strict undefined variables', () => {
  it('names the variable, the position and a close match', () => {
    const e = inputError(() => renderString('{{ pool_adress }}', vars, where));
    expect(e.message).toBe("undefined variable 'pool_adress' in template");
    expect(e.hint).toBe("did you mean 'pool_address'?");
    expect(e.pos).toEqual({ file: 'site.yml', line: 10, col: 5 });
  });

  it('shifts the line and column to the mustache inside multi-line text', () => {
    const e = inputError(() => renderText('line one\nline two\n  addr {{pool_adress}}\n', vars, where));
    expect(e.pos).toEqual({ file: 'site.yml', line: 12, col: 8 });
    expect(e.located).toBe("site.yml:12:8: undefined variable 'pool_adress' in template (did you mean 'pool_address'?)");
  });

  it('shifts the column on the first line by where the string starts', () => {
    const e = inputError(() => renderString('url: {{ missing }}', vars, where));
    expect(e.pos).toEqual({ file: 'site.yml', line: 10, col: 10 });
  });

  it('reports a missing nested key with the keys that exist', () => {
    const e = inputError(() => renderString('x {{ cfg.a.c }}', vars, where));
    expect(e.message).toBe("undefined variable 'cfg.a.c' in template");
    expect(e.hint).toBe("did you mean 'cfg.a.b'?");
    const far = inputError(() => renderString('{{ hostvars.zz9.fabric_host }}', vars, where));
    expect(far.message).toBe("undefined variable 'hostvars.zz9.fabric_host' in template");
    expect(far.hint).toBe("'hostvars' has no key 'zz9'");
  });

  it('fails when a path goes through a missing or null parent instead of crashing', () => {
    expect(inputError(() => renderString('{{ gone.a.b }}', vars)).message).toBe("undefined variable 'gone.a.b' in template");
    expect(inputError(() => renderString('a {{ nothing.a }}', vars)).message).toBe("undefined variable 'nothing.a' in template");
  });

  it('checks names inside #each and #with against the current item', () => {
    const e = inputError(() => renderText('{{#with cfg}}{{a.b}}{{zz}}{{/with}}', vars, where));
    expect(e.message).toBe("undefined variable 'zz' in template");
    expect(e.pos?.col).toBe(5 + 20);
    expect(renderText('{{#each groups.k8s as |h|}}{{h}}:{{@index}} {{/each}}', vars)).toBe('cp1:0 w1:1 ');
  });

  it('renders null as empty text and 0/false as themselves', () => {
    expect(renderText('[{{nothing}}][{{zero}}][{{f}}]', { nothing: null, zero: 0, f: false })).toBe('[][0][False]');
  });
});

describe('conditionals and defaults with undefined variables', () => {
  it('#if / #unless take the else branch for undefined names and paths', () => {
    expect(renderText('{{#if maybe}}yes{{else}}no{{/if}}', vars)).toBe('no');
    expect(renderText('{{#if gone.deep.key}}yes{{else}}no{{/if}}', vars)).toBe('no');
    expect(renderText('{{#unless maybe}}absent{{/unless}}', vars)).toBe('absent');
    expect(renderText('{{#if cfg.a.b}}yes{{/if}}', vars)).toBe('yes');
    expect(renderText('{{#if enabled}}on{{else if maybe}}x{{else}}off{{/if}}', vars)).toBe('on');
  });

  it('default falls back for undefined and null, keeps other values', () => {
    expect(renderString('{{default maybe 7}}', vars)).toBe(7);
    expect(renderString('{{default gone.deep "d"}}', vars)).toBe('d');
    expect(renderString('{{default nothing "n"}}', vars)).toBe('n');
    expect(renderString('{{default port 1}}', vars)).toBe(6443);
    expect(renderString('{{default enabled true}}', { enabled: false })).toBe(false);
    expect(renderString('on={{default enabled true}}', { enabled: false })).toBe('on=False');
  });

  it('#each over an undefined list renders nothing', () => {
    expect(renderText('[{{#each groups.nope}}{{this}}{{/each}}]', vars)).toBe('[]');
  });
});

describe('helpers', () => {
  const r = (t: string, v: Record<string, unknown> = vars) => renderString(t, v);

  it('json and to_yaml', () => {
    expect(r('{{json groups.k8s}}')).toBe('["cp1","w1"]');
    expect(r('{{json cfg 2}}')).toBe('{\n  "a": {\n    "b": 1\n  }\n}');
    expect(r('{{json maybe}}')).toBe('null');
    expect(r('{{to_yaml cfg}}')).toBe('a:\n  b: 1');
  });

  it('join, lower, upper, trim', () => {
    expect(r('{{join groups.k8s ", "}}')).toBe('cp1, w1');
    expect(r('{{join groups.k8s}}')).toBe('cp1w1');
    expect(r('[{{trim name}}] {{lower (trim name)}} {{upper "a"}}')).toBe('[Mixed Case] mixed case A');
    expect(inputError(() => r('{{join port ","}}')).message).toBe('helper \'join\': expected a list, got 6443');
  });

  it('comparisons and logic', () => {
    expect(r('{{#if (eq port 6443)}}y{{else}}n{{/if}}')).toBe('y');
    expect(r('{{#if (ne port 6443)}}y{{else}}n{{/if}}')).toBe('n');
    expect(r('{{#if (eq groups.k8s (lookup groups "k8s"))}}same{{/if}}')).toBe('same');
    expect(r('{{lt 1 2}} {{gt 1 2}} {{le 2 2}} {{ge "a" "b"}}')).toBe('True False True False');
    expect(inputError(() => r('{{lt port "x"}}')).message).toBe("helper 'lt': cannot compare int with string");
    expect(r('{{#if (and enabled (not empty))}}y{{else}}n{{/if}}')).toBe('y');
    expect(r('{{#if (and enabled empty)}}y{{else}}n{{/if}}')).toBe('n');
    expect(r('{{or maybe nothing "fallback"}}')).toBe('fallback');
    expect(r('{{and port pool_address}}')).toBe('10.0.0.1');
  });

  it('add sums numbers and numeric strings', () => {
    expect(r('{{add port 1}}')).toBe(6444);
    expect(r('{{add "2" 3}}')).toBe(5);
    expect(inputError(() => r('{{add port "x"}}')).message).toBe('helper \'add\': "x" is not a number');
  });

  it('hostvar reads another host\'s variable from inside #each', () => {
    expect(renderText('{{#each groups.k8s}}{{this}}={{hostvar this "fabric_host"}};{{/each}}', vars)).toBe('cp1=127.0.0.2;w1=127.0.0.3;');
    const e = inputError(() => renderText('{{#each groups.k8s}}{{hostvar this "fabric_hots"}}{{/each}}', vars, where));
    expect(e.message).toBe("undefined variable 'hostvars.cp1.fabric_hots' in template");
    expect(e.hint).toBe("did you mean 'hostvars.cp1.fabric_host'?");
  });

  it('cidrs covers a range exactly with the fewest blocks', () => {
    expect(r('{{json (cidrs "172.16.1.220-172.16.1.250")}}')).toBe(
      JSON.stringify(['172.16.1.220/30', '172.16.1.224/28', '172.16.1.240/29', '172.16.1.248/31', '172.16.1.250/32']),
    );
    expect(r('{{json (cidrs "10.0.0.0-10.0.0.255")}}')).toBe('["10.0.0.0/24"]');
    expect(r('{{json (cidrs "10.0.0.5")}}')).toBe('["10.0.0.5/32"]');
    expect(r('{{json (cidrs "10.0.0.7-10.0.0.7")}}')).toBe('["10.0.0.7/32"]');
    expect(r('{{json (cidrs "0.0.0.0-255.255.255.255")}}')).toBe('["0.0.0.0/0"]');
    expect(r('{{json (cidrs "10.0.0.255-10.0.1.0")}}')).toBe('["10.0.0.255/32","10.0.1.0/32"]');
    expect(r('{{json (cidrs "192.168.4.0/22")}}')).toBe('["192.168.4.0/22"]');
    expect(r('{{json (cidrs pools)}}', { pools: ['10.0.0.0/31', '10.0.1.1-10.0.1.2'] })).toBe('["10.0.0.0/31","10.0.1.1/32","10.0.1.2/32"]');
    expect(renderText('{{#each (cidrs "10.0.0.0-10.0.0.2")}}permit {{this}}\n{{/each}}', vars)).toBe('permit 10.0.0.0/31\npermit 10.0.0.2/32\n');
  });

  it('cidrs rejects bad input with a reason', () => {
    expect(inputError(() => r('{{cidrs "10.0.0.9-10.0.0.1"}}')).message).toBe("helper 'cidrs': range '10.0.0.9-10.0.0.1' ends before it starts");
    expect(inputError(() => r('{{cidrs "10.0.0.5/24"}}')).message).toBe("helper 'cidrs': '10.0.0.5/24' has host bits set (network is 10.0.0.0/24)");
    expect(inputError(() => r('{{cidrs "10.0.0.256"}}')).message).toBe("helper 'cidrs': '10.0.0.256' is not an IPv4 address");
    expect(inputError(() => r('{{cidrs "10.0.0.0/33"}}')).message).toBe("helper 'cidrs': '10.0.0.0/33' has an invalid prefix length");
    expect(inputError(() => r('{{cidrs port}}')).message).toBe("helper 'cidrs': expected an IPv4 range, CIDR or list of them, got 6443");
  });

  it('cidrs blocks are aligned, adjacent and cover exactly the range (checked independently)', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 200; i++) {
      const first = parseIpv4('10.1.0.0') + rand(70000);
      const last = first + rand(5000);
      let next = first;
      for (const block of coverRange(first, last)) {
        const [addr, len] = block.split('/');
        const size = 2 ** (32 - Number(len));
        expect(parseIpv4(addr!)).toBe(next);
        expect(next % size).toBe(0);
        next += size;
      }
      expect(next - 1).toBe(last);
    }
  });

  it('range_first gives the first address', () => {
    expect(r('{{range_first "172.16.1.220-172.16.1.250"}}')).toBe('172.16.1.220');
    expect(r('{{range_first "10.0.0.0/24"}}')).toBe('10.0.0.0');
    expect(r('{{range_first pools}}', { pools: ['10.9.0.4-10.9.0.8', '10.0.0.0/24'] })).toBe('10.9.0.4');
  });

  it('indent indents every line but the first, leaving blank lines alone', () => {
    expect(r('{{indent 4 text}}', { text: 'a:\n  b: 1\n\nc: 2' })).toBe('a:\n      b: 1\n\n    c: 2');
  });

  it('raw blocks keep mustaches verbatim', () => {
    expect(renderText('a {{{{raw}}}}{{ .Values.x }} {{#if}}{{{{/raw}}}} {{port}}', vars)).toBe('a {{ .Values.x }} {{#if}} 6443');
  });

  it('checks argument counts', () => {
    const e = inputError(() => renderString('x {{add port}}', vars, where));
    expect(e.message).toBe("helper 'add' takes 2 argument(s), got 1");
    expect(e.pos).toEqual({ file: 'site.yml', line: 10, col: 7 });
  });

  it('lists helper names without the internal ones', () => {
    const names = templateHelperNames();
    expect(names).toEqual(expect.arrayContaining(['cidrs', 'range_first', 'hostvar', 'default', 'json', 'if', 'each']));
    expect(names.some((n) => n.startsWith('__'))).toBe(false);
    expect(names).not.toContain('log');
  });
});

describe('prototype access', () => {
  it('never reads inherited properties', () => {
    expect(inputError(() => renderString('{{ cfg.constructor }}', vars)).message).toBe("undefined variable 'cfg.constructor' in template");
    expect(inputError(() => renderString('{{ constructor }}', vars)).message).toBe("undefined variable 'constructor' in template");
    expect(inputError(() => renderString('x{{ pool_address.constructor.name }}', vars)).message).toBe(
      "undefined variable 'pool_address.constructor.name' in template",
    );
    expect(inputError(() => renderString('{{ cfg.__proto__ }}', vars)).message).toBe("undefined variable 'cfg.__proto__' in template");
    expect(inputError(() => renderText('{{#with cfg}}{{toString}}{{/with}}', vars)).message).toBe("undefined variable 'toString' in template");
    expect(renderText('[{{#if cfg.constructor}}leak{{/if}}{{lookup cfg "constructor"}}]', vars)).toBe('[]');
  });
});

describe('syntax errors', () => {
  it('reports the line of the error inside the text, shifted by where', () => {
    const e = inputError(() => checkTemplate('line one\n  xx {{a b=}} yy', where));
    expect(e.message).toBe("expression 'a b=': syntax: Expected expression after = at the end");
    expect(e.pos).toEqual({ file: 'site.yml', line: 11, col: 6 }); // the expression's {{
  });

  it('explains an unclosed block', () => {
    const e = inputError(() => checkTemplate('{{#if x}}\nyes\n', where));
    expect(e.message).toBe('template syntax: unexpected end of template');
    expect(e.hint).toBe('a {{ or a {{#block}} is not closed');
    expect(e.pos?.line).toBe(12);
  });

  it('reports mismatched block names', () => {
    const e = inputError(() => checkTemplate('a\n{{#if x}}{{/each}}', where));
    expect(e.message).toBe("template syntax: if doesn't match each");
    expect(e.pos?.line).toBe(11);
  });

  it('finds unknown helpers before rendering, with a suggestion', () => {
    const e = inputError(() => checkTemplate('ok\n {{#each (cidr pool)}}{{/each}}', where));
    expect(e.message).toBe("unknown template helper 'cidr'");
    expect(e.hint).toBe("did you mean 'cidrs'?");
    expect(e.pos).toEqual({ file: 'site.yml', line: 11, col: 10 });
  });

  it('rejects partials', () => {
    expect(inputError(() => checkTemplate('{{> header}}')).message).toBe('template partials ({{> name}}) are not supported');
  });

  it('accepts valid templates and block params without rendering them', () => {
    expect(() => checkTemplate('{{#each xs as |x|}}{{x.y}}{{/each}}{{missing}}', where)).not.toThrow();
  });
});

describe('renderDeep', () => {
  it('renders every string in a structure into a new value, keys untouched', () => {
    const input = { '{{port}}': '{{ port }}', list: ['a {{ port }}', 3, true, null, { deep: '{{ groups.k8s }}' }] };
    const out = renderDeep(input, vars);
    expect(out).toEqual({ '{{port}}': 6443, list: ['a 6443', 3, true, null, { deep: ['cp1', 'w1'] }] });
    expect(input.list[0]).toBe('a {{ port }}');
    expect(out).not.toBe(input);
  });

  it('keeps an own __proto__ key as data without changing the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "{{port}}"}}') as Record<string, unknown>;
    const out = renderDeep(input, vars) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 6443 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('passes the position on to errors', () => {
    expect(inputError(() => renderDeep({ a: ['{{ zzz_unknown }}'] }, vars, where)).located).toBe("site.yml:10:5: undefined variable 'zzz_unknown' in template");
  });
});

describe('a string that is one helper call keeps the value type (loop: "{{ cidrs pool }}")', () => {
  it('returns the helper value itself', () => {
    const vars = { pool: ['172.16.1.220-172.16.1.250'], x: 3 };
    expect(renderString('{{ cidrs pool }}', vars)).toEqual(['172.16.1.220/30', '172.16.1.224/28', '172.16.1.240/29', '172.16.1.248/31', '172.16.1.250/32']);
    expect(renderString(' {{ add x 2 }} ', vars)).toBe(5);
    expect(renderString('n={{ add x 2 }}', vars)).toBe('n=5');
  });
});

describe('whitespace around a lone variable', () => {
  it('is kept when the value is text, dropped when it is a list', () => {
    expect(renderString('{{ x }}\n', { x: 'a' })).toBe('a\n');
    expect(renderString('{{ join l "," }}\n', { l: ['a', 'b'] })).toBe('a,b\n');
    expect(renderString(' {{ l }} ', { l: [1, 2] })).toEqual([1, 2]);
    expect(renderString('{{ x }}', { x: 'a' })).toBe('a');
  });
});
