/**
 * The one expression language: Ansible's (Jinja's) expressions, in `when:`/`changed_when:`/assert's
 * `that` and inside `{{ }}`. Parsed by jsep and evaluated by walking the tree: no eval, property
 * reads only on own data properties, calls only of filters (`x | length`), tests (`x is defined`),
 * a list of Python methods on data (`s.split(',')`) and `range`. Precedence, loosest first:
 * `x if c else y` < or < and < not < comparisons/in/not in < + - ~ < * / // % < ** < is/is not < | (filters).
 */
import jsepObject from '@jsep-plugin/object';
import jsep from 'jsep';
import { InputError, type SourcePos } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Vars } from '../modules/types.js';
import { argumentProblem, bindArguments, type Callable } from './callable.js';
import { FILTERS } from './filters.js';
import { callMethod, GLOBALS, METHOD_NAMES } from './methods.js';
import { str } from './py.js';
import { contains, TESTS } from './tests.js';
import { deriveSecret } from './secrets.js';
import { compare, equals, getOwn, truthy, typeName, Undef } from './values.js';

export interface Expression {
  source: string;
  /** Top-level variable names the expression reads. */
  names: string[];
  evaluate(vars: Vars): unknown;
}

type Node = jsep.Expression;
type Scope = jsep.HookScope;

// ---- grammar (jsep is configured once, globally; nothing else in fabric uses jsep) ---------------

jsep.plugins.register(jsepObject);
const PREC_AND = 2;
for (const op of ['??', '^', '&', '<<', '>>', '>>>', '|']) jsep.removeBinaryOp(op);
for (const op of ['~']) jsep.removeUnaryOp(op);
const BINARY: Array<[string, number]> = [
  ['=', 0.4], ['else', 0.6], ['if', 0.8],
  ['or', 1], ['and', PREC_AND],
  ['==', 6], ['!=', 6], ['<', 7], ['>', 7], ['<=', 7], ['>=', 7], ['in', 7], ['not in', 7],
  ['+', 9], ['-', 9], ['~', 9], ['*', 10], ['/', 10], ['//', 10], ['%', 10],
  ['is', 13], ['is not', 13], ['|', 14],
];
for (const [op, prec] of BINARY) jsep.addBinaryOp(op, prec);
jsep.addBinaryOp('else', 0.6, true);
jsep.addBinaryOp('**', 11); // left-associative in Jinja: 2 ** 3 ** 2 is 64
for (const [name, value] of [['True', true], ['False', false], ['None', null], ['none', null], ['true', true], ['false', false]] as const) jsep.addLiteral(name, value);

/** JavaScript spellings jsep still parses, rejected with the Jinja word to use instead. */
const JS_OPERATORS: Record<string, string> = { '&&': 'and', '||': 'or', '===': '==', '!==': '!=', '!': 'not' };

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[\w$]/.test(c);

function peekBinaryOp(p: Scope): string | undefined {
  const at = p.index;
  const op = p.gobbleBinaryOp() as unknown as string | false;
  p.index = at;
  return op || undefined;
}

/** Precedence climbing over jsep's own token/operator readers, keeping operators above minPrec. */
function climb(p: Scope, left: Node, minPrec: number): Node {
  for (;;) {
    const op = peekBinaryOp(p);
    const prec = op ? jsep.binary_ops[op]! : 0;
    if (!op || prec <= minPrec) return left;
    p.gobbleBinaryOp();
    let right = p.gobbleToken();
    if (!right) p.throwError(`Expected expression after ${op}`);
    for (;;) {
      const next = peekBinaryOp(p);
      const np = next ? jsep.binary_ops[next]! : 0;
      if (!next || np < prec || (np === prec && !jsep.right_associative.has(next))) break;
      right = climb(p, right!, np === prec ? prec - 0.5 : prec);
    }
    left = { type: 'BinaryExpression', operator: op, left, right: right! };
  }
}

/**
 * How backslashes in string literals read, as Ansible has them: inside `{{ }}` they are literal
 * (Ansible doubles them before Jinja sees them, so `regex_replace('(\d)', '\1')` works as
 * written); in conditions Jinja reads Python's escapes (`\n`, `\\`, `\1` is chr(1)), and
 * unknown ones (`\d`) stay as written. Set for the length of one parse.
 */
let rawStrings = false;

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Python's unicode-escape decoding of a literal's body. */
function pythonEscapes(body: string): string {
  return body.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([\s\S]))/g, (m, oct, hex2, hex4, hex8, c) => {
    if (oct) return String.fromCharCode(parseInt(oct, 8));
    const hex = hex2 ?? hex4 ?? hex8;
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    if (c === '\n') return '';
    return Object.hasOwn(SIMPLE_ESCAPES, c) ? SIMPLE_ESCAPES[c]! : m;
  });
}

// String literals by Jinja's rules: a backslash never ends one; adjacent literals join ('it' 's').
jsep.hooks.add('gobble-token', function (this: Scope, env: { node?: Node }) {
  const first = this.expr[this.index];
  if (first !== '"' && first !== "'") return;
  let value = '';
  const start = this.index;
  while (this.expr[this.index] === '"' || this.expr[this.index] === "'") {
    const q = this.expr[this.index]!;
    let i = this.index + 1;
    while (i < this.expr.length && this.expr[i] !== q) i += this.expr[i] === '\\' ? 2 : 1;
    if (i >= this.expr.length) this.throwError(`Unclosed quote after "${this.expr.slice(this.index, this.index + 12)}"`);
    const body = this.expr.slice(this.index + 1, i);
    value += rawStrings ? body : pythonEscapes(body);
    this.index = i + 1;
    this.gobbleSpaces();
  }
  env.node = this.gobbleTokenProperty({ type: 'Literal', value, raw: this.expr.slice(start, this.index).trim() });
});

// `not` binds looser than comparisons (`not a == b` is `not (a == b)`) but tighter than and/or.
jsep.hooks.add('gobble-token', function (this: Scope, env: { node?: Node }) {
  if (!this.expr.startsWith('not', this.index) || isIdentChar(this.expr[this.index + 3])) return;
  this.index += 3;
  const first = this.gobbleToken();
  if (!first) this.throwError("Expected expression after 'not'");
  env.node = { type: 'UnaryExpression', operator: 'not', argument: climb(this, first!, PREC_AND), prefix: true };
});

/** Where the top-level `:`s of a subscript starting at i are, and its closing `]`; undefined when it has none. */
function sliceColons(expr: string, i: number): { colons: number[]; end: number } | undefined {
  const colons: number[] = [];
  let depth = 0;
  for (; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      for (i++; i < expr.length && expr[i] !== c; i += expr[i] === '\\' ? 2 : 1);
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    else if (c === ']') {
      if (depth === 0) return colons.length ? { colons, end: i } : undefined;
      depth--;
    } else if (c === ':' && depth === 0) colons.push(i);
  }
  return undefined;
}

// Python's slices in a subscript: `s[:8]`, `items[1:-1]`, `xs[::-1]` (a list literal `[a, b]` is not a subscript).
jsep.hooks.add('gobble-expression', function (this: Scope, env: { node?: Node }) {
  let b = this.index - 1;
  while (b >= 0 && this.expr[b] === ' ') b--;
  if (this.expr[b] !== '[') return;
  let before = b - 1;
  while (before >= 0 && this.expr[before] === ' ') before--;
  if (before < 0 || !/[\w$)\]'"]/.test(this.expr[before]!)) return; // `[` starts a list, not a subscript
  const found = sliceColons(this.expr, this.index);
  if (!found) return;
  if (found.colons.length > 2) this.throwError('a slice is start:stop:step');
  const bounds = [this.index, ...found.colons.map((c) => c + 1)];
  const ends = [...found.colons, found.end];
  const parts = bounds.map((from, k) => {
    const text = this.expr.slice(from, ends[k]).trim();
    return text ? (jsep(text) as Node) : null;
  });
  this.index = found.end;
  env.node = { type: 'SliceExpression', start: parts[0], stop: parts[1], step: parts[2] ?? null };
});

/** Outside string literals, whitespace runs become one space (so `not  in` and YAML line folds parse). */
function normalize(src: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      out += c;
      if (c === '\\' && i + 1 < src.length) out += src[++i];
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      out += c;
    } else if (/\s/.test(c)) {
      if (out && !out.endsWith(' ')) out += ' ';
    } else out += c;
  }
  return out.trimEnd();
}

// ---- static checks -----------------------------------------------------------------------------

/** Tests may be written as literals: `is true`, `is none`. */
function testName(n: Node): string | undefined {
  if (n.type === 'Identifier') return n.name as string;
  if (n.type === 'Literal') return n.value === null ? 'none' : typeof n.value === 'boolean' ? String(n.value) : undefined;
  return undefined;
}

const isKeyword = (n: Node): boolean => n.type === 'BinaryExpression' && n.operator === '=';

/** Positional argument nodes and `name=value` ones of a call's argument list. */
function splitArgs(args: Node[]): { positional: Node[]; keywords: Array<[string, Node]> } {
  const positional = args.filter((a) => !isKeyword(a));
  const keywords = args.filter(isKeyword).map((a): [string, Node] => [((a.left as Node).name as string) ?? '', a.right as Node]);
  return { positional, keywords };
}

/** The name and argument nodes of a filter/test written as `name` or `name(args)`. */
function callParts(n: Node): { name: string | undefined; positional: Node[]; keywords: Array<[string, Node]> } {
  if (n.type === 'CallExpression') return { name: testName(n.callee as Node), ...splitArgs(n.arguments as Node[]) };
  return { name: testName(n), positional: [], keywords: [] };
}

/** Rejects what the evaluator does not support, with a reason; returns top-level names read. */
function check(root: Node, fail: (msg: string, hint?: string) => never): string[] {
  const names = new Set<string>();
  const args = (list: Node[]) => {
    let keyword = false;
    for (const a of list) {
      if (isKeyword(a)) {
        if ((a.left as Node).type !== 'Identifier') fail("a keyword argument is written name=value");
        keyword = true;
        visit(a.right as Node);
      } else {
        if (keyword) fail('a positional argument cannot follow a keyword argument');
        visit(a);
      }
    }
  };
  const callable = (n: Node, table: Record<string, Callable<unknown>>, kind: 'filter' | 'test') => {
    const { name, positional, keywords } = callParts(n);
    if (name === undefined) return fail(`expected a ${kind} name after '${kind === 'filter' ? '|' : 'is'}'`);
    const d = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!d) {
      const guess = didYouMean(name, Object.keys(table));
      return fail(`unknown ${kind} '${name}'`, guess ? `did you mean '${guess}'?` : `${kind}s: ${Object.keys(table).join(', ')}`);
    }
    const problem = argumentProblem(`${kind} '${name}'`, d, positional.length, keywords.map(([k]) => k));
    if (problem) fail(problem);
    if (n.type === 'CallExpression') args(n.arguments as Node[]);
  };
  const visit = (n: Node): void => {
    switch (n.type) {
      case 'Literal':
        return;
      case 'Identifier':
        names.add(n.name as string);
        return;
      case 'ThisExpression':
        names.add('this');
        return;
      case 'MemberExpression':
        visit(n.object as Node);
        if (n.computed) visit(n.property as Node);
        return;
      case 'SliceExpression':
        for (const part of [n.start, n.stop, n.step] as Array<Node | null>) if (part) visit(part);
        return;
      case 'ArrayExpression':
        for (const e of n.elements as Array<Node | null>) {
          if (!e) fail('empty element in list');
          visit(e!);
        }
        return;
      case 'ObjectExpression':
        for (const p of n.properties as Node[]) {
          if (p.shorthand) fail('a mapping entry is written key: value', "quote a literal key: {'name': value}");
          visit(p.key as Node);
          visit(p.value as Node);
        }
        return;
      case 'UnaryExpression':
        if (Object.hasOwn(JS_OPERATORS, n.operator as string)) fail(`use '${JS_OPERATORS[n.operator as string]}' instead of '${n.operator}'`);
        visit(n.argument as Node);
        return;
      case 'BinaryExpression': {
        const op = n.operator as string;
        if (Object.hasOwn(JS_OPERATORS, op)) fail(`use '${JS_OPERATORS[op]}' instead of '${op}'`);
        if (op === '=') fail("'=' is only for keyword arguments of filters and tests (name=value)", "compare with '=='");
        if (op === 'else' && !((n.left as Node).type === 'BinaryExpression' && (n.left as Node).operator === 'if')) fail("'else' without 'x if condition'");
        visit(n.left as Node);
        if (op === '|') callable(n.right as Node, FILTERS, 'filter');
        else if (op === 'is' || op === 'is not') callable(n.right as Node, TESTS as Record<string, Callable<unknown>>, 'test');
        else visit(n.right as Node);
        return;
      }
      case 'CallExpression': {
        const callee = n.callee as Node;
        if (callee.type === 'Identifier' && Object.hasOwn(GLOBALS, callee.name as string)) return args(n.arguments as Node[]);
        if (callee.type === 'MemberExpression' && !callee.computed && METHOD_NAMES.has((callee.property as Node).name as string)) {
          visit(callee.object as Node);
          return args(n.arguments as Node[]);
        }
        const what = callee.type === 'MemberExpression' && !callee.computed ? `method '${(callee.property as Node).name as string}'` : callee.type === 'Identifier' ? `function '${callee.name as string}'` : 'this call';
        return fail(`${what} is not supported`, `use a filter or test (x | length, x is match('re'), 'a' in x); methods: ${[...METHOD_NAMES].join(', ')}; functions: ${Object.keys(GLOBALS).join(', ')}`);
      }
      case 'Compound':
        return fail('expected one expression', 'an operator is missing between two values?');
      case 'ConditionalExpression':
        return fail("'? :' is not supported", 'write: x if condition else y');
      default:
        return fail(`'${n.type}' is not supported`);
    }
  };
  visit(root);
  return [...names];
}

// ---- evaluation --------------------------------------------------------------------------------

/** What the expression says at node (a.b[0]), for naming undefined variables. */
function describe(n: Node): string {
  if (n.type === 'Identifier') return n.name as string;
  if (n.type === 'ThisExpression') return 'this';
  if (n.type === 'MemberExpression') {
    const prop = n.property as Node;
    if (!n.computed) return `${describe(n.object as Node)}.${prop.name as string}`;
    return `${describe(n.object as Node)}[${prop.type === 'Literal' ? (prop.raw as string) : '...'}]`;
  }
  return '(expression)';
}

function need(v: unknown): unknown {
  if (v instanceof Undef) throw new Error(v.message);
  return v;
}

/** Python's v[start:stop:step] of a list or string (null: the default bound). */
function pySlice(v: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? Array.from(v) : undefined;
  if (!items) throw new Error(`only a list or a string can be sliced, not ${typeName(v)}`);
  for (const x of [start, stop, step]) if (x !== null && !Number.isInteger(x)) throw new Error(`slice indices must be integers or None, got ${typeName(x)}`);
  const n = items.length;
  const by = (step as number | null) ?? 1;
  if (by === 0) throw new Error('slice step cannot be zero');
  const clamp = (x: number | null, dflt: number, lo: number, hi: number) => (x === null ? dflt : x < 0 ? Math.max(x + n, lo) : Math.min(x, hi));
  const [from, to] = by > 0 ? [clamp(start as number | null, 0, 0, n), clamp(stop as number | null, n, 0, n)] : [clamp(start as number | null, n - 1, -1, n - 1), clamp(stop as number | null, -1, -1, n - 1)];
  const out: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(items[i]);
  return typeof v === 'string' ? out.join('') : out;
}

function member(obj: unknown, key: unknown): unknown {
  if (typeof key === 'number' && Number.isInteger(key) && key < 0 && (Array.isArray(obj) || typeof obj === 'string')) {
    return getOwn(obj, obj.length + key); // Python's a[-1]
  }
  if (typeof key !== 'string' && typeof key !== 'number') throw new Error(`a key must be a string or number, got ${typeName(key)}`);
  return getOwn(obj, key);
}

function num(v: unknown, op: string): number {
  if (typeof v !== 'number') throw new Error(`'${op}' needs numbers, got ${typeName(v)}`);
  return v;
}

function arithmetic(op: string, l: unknown, r: unknown): unknown {
  switch (op) {
    case '+':
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      throw new Error(`cannot add ${typeName(l)} and ${typeName(r)}`);
    case '~':
      return str(l) + str(r);
    case '-':
      return num(l, op) - num(r, op);
    case '*':
      if (typeof l === 'string' && Number.isInteger(r)) return l.repeat(Math.max(0, r as number));
      if (Array.isArray(l) && Number.isInteger(r)) return Array.from({ length: Math.max(0, r as number) }, () => l).flat();
      return num(l, op) * num(r, op);
    case '**':
      return num(l, op) ** num(r, op);
  }
  const [a, b] = [num(l, op), num(r, op)];
  if (b === 0) throw new Error('division by zero');
  if (op === '/') return a / b;
  if (op === '//') return Math.floor(a / b);
  return a - b * Math.floor(a / b); // Python's %: sign of the divisor
}

function argValues(list: Node[], vars: Vars): { positional: unknown[]; keywords: Record<string, unknown> } {
  const { positional, keywords } = splitArgs(list);
  return {
    positional: positional.map((a) => need(evaluateNode(a, vars))),
    keywords: Object.fromEntries(keywords.map(([k, a]) => [k, need(evaluateNode(a, vars))])),
  };
}

function call(n: Node, value: unknown, table: Record<string, Callable<unknown>>, vars: Vars): unknown {
  const { name } = callParts(n);
  const d = table[name!]!;
  const given = n.type === 'CallExpression' ? argValues(n.arguments as Node[], vars) : { positional: [], keywords: {} };
  const { args, kw } = bindArguments(d, given.positional, given.keywords);
  const out = d.fn(d.acceptsUndefined ? value : need(value), args, kw);
  deriveSecret([value, ...given.positional, ...Object.values(given.keywords)], out);
  return out;
}

function evaluateNode(n: Node, vars: Vars): unknown {
  switch (n.type) {
    case 'Literal':
      return n.value;
    case 'Identifier':
    case 'ThisExpression': {
      const name = n.type === 'Identifier' ? (n.name as string) : 'this';
      const v = getOwn(vars, name);
      return v === undefined ? new Undef(name) : v;
    }
    case 'MemberExpression': {
      const obj = evaluateNode(n.object as Node, vars);
      if (obj instanceof Undef) return obj; // name the first missing part: 'a' in a.b.c
      const prop = n.property as Node;
      if (n.computed && prop.type === 'SliceExpression') {
        const bound = (b: unknown) => (b ? need(evaluateNode(b as Node, vars)) : null);
        return pySlice(obj, bound(prop.start), bound(prop.stop), bound(prop.step));
      }
      const key = n.computed ? need(evaluateNode(prop, vars)) : (prop.name as string);
      const v = member(obj, key);
      return v === undefined ? new Undef(describe(n)) : v;
    }
    case 'ArrayExpression':
      return (n.elements as Node[]).map((e) => need(evaluateNode(e, vars)));
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const p of n.properties as Node[]) {
        const k = need(evaluateNode(p.key as Node, vars));
        if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') throw new Error(`a mapping key must be a string or number, got ${typeName(k)}`);
        Object.defineProperty(out, str(k), { value: need(evaluateNode(p.value as Node, vars)), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'CallExpression': {
      const callee = n.callee as Node;
      const { positional } = argValues(n.arguments as Node[], vars);
      if (callee.type === 'Identifier') return GLOBALS[callee.name as string]!(positional);
      return callMethod(need(evaluateNode(callee.object as Node, vars)), (callee.property as Node).name as string, positional);
    }
    case 'UnaryExpression': {
      const v = need(evaluateNode(n.argument as Node, vars));
      if (n.operator === 'not') return !truthy(v);
      return n.operator === '-' ? -num(v, '-') : num(v, '+');
    }
    case 'BinaryExpression': {
      const op = n.operator as string;
      if (op === 'else') {
        const branch = n.left as Node;
        return truthy(need(evaluateNode(branch.right as Node, vars))) ? evaluateNode(branch.left as Node, vars) : evaluateNode(n.right as Node, vars);
      }
      if (op === 'if') return truthy(need(evaluateNode(n.right as Node, vars))) ? evaluateNode(n.left as Node, vars) : '';
      const left = evaluateNode(n.left as Node, vars);
      if (op === '|') return call(n.right as Node, left, FILTERS, vars);
      if (op === 'is' || op === 'is not') {
        const result = call(n.right as Node, left, TESTS as Record<string, Callable<unknown>>, vars);
        return op === 'is' ? result : !result;
      }
      const l = need(left);
      if (op === 'and') return truthy(l) ? need(evaluateNode(n.right as Node, vars)) : l;
      if (op === 'or') return truthy(l) ? l : need(evaluateNode(n.right as Node, vars));
      const r = need(evaluateNode(n.right as Node, vars));
      switch (op) {
        case '==':
          return equals(l, r);
        case '!=':
          return !equals(l, r);
        case '<':
          return compare(l, r) < 0;
        case '>':
          return compare(l, r) > 0;
        case '<=':
          return compare(l, r) <= 0;
        case '>=':
          return compare(l, r) >= 0;
        case 'in':
          return contains(r, l);
        case 'not in':
          return !contains(r, l);
        default:
          return arithmetic(op, l, r);
      }
    }
  }
  throw new Error(`unsupported expression ${n.type}`); // check() rejected it at compile time
}

// ---- compiling -----------------------------------------------------------------------------------

const cache = new Map<string, Expression>();

/**
 * Parses an expression at plan time; syntax and unsupported constructs are InputErrors at where.
 * `kind` names it in messages: "condition 'x ==': ..." or "expression 'x |': ...".
 */
export function compileExpression(expr: string, where: SourcePos | undefined, kind: 'condition' | 'expression'): Expression {
  const key = `${kind}\0${expr}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const source = expr.trim();
  const text = normalize(source);
  if (!text) throw new InputError(`empty ${kind}`, where);
  const fail = (msg: string, hint?: string): never => {
    throw new InputError(`${kind} '${source}': ${msg}`, where, hint);
  };
  let ast: Node;
  try {
    rawStrings = kind === 'expression';
    ast = jsep(text);
  } catch (e) {
    const err = e as Error & { description?: string; index?: number };
    const near = typeof err.index === 'number' ? text.slice(err.index, err.index + 12) : '';
    return fail(`syntax: ${err.description ?? err.message}${near ? ` near '${near}'` : ' at the end'}`);
  }
  const names = check(ast, fail);
  const compiled: Expression = {
    source,
    names,
    evaluate(vars: Vars): unknown {
      try {
        return need(evaluateNode(ast, vars));
      } catch (e) {
        throw new Error(`${(e as Error).message} in ${kind} '${source}'`);
      }
    },
  };
  if (cache.size > 20000) cache.clear();
  cache.set(key, compiled);
  return compiled;
}
