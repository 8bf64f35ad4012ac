/**
 * Ansible-like bare condition expressions (`when`, `changed_when`, assert's `that`), parsed by jsep
 * and evaluated by walking the tree: no eval, property reads only on own data properties, no calls
 * but filters (`x | length`) and tests (`x is defined`). Precedence, loosest first:
 * or < and < not < comparisons/in/not in < + - ~ < * / // % < ** < is/is not < | (filters).
 */
import jsep from 'jsep';
import { InputError, type SourcePos } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Vars } from '../modules/types.js';
import { contains, FILTERS, str, TESTS, Undef, type Callable } from './condition-filters.js';
import { compare, equals, getOwn, typeName } from './values.js';

export { truthy } from './values.js';
import { truthy } from './values.js';

export interface Condition {
  source: string;
  /** Top-level variable names the expression reads. */
  names: string[];
  evaluate(vars: Vars): unknown;
}

type Node = jsep.Expression;
type Scope = jsep.HookScope;

// ---- grammar (jsep is configured once, globally; nothing else in fabric uses jsep) ---------------

const PREC_AND = 2;
for (const op of ['??', '^', '&', '<<', '>>', '>>>', '|']) jsep.removeBinaryOp(op);
for (const op of ['~']) jsep.removeUnaryOp(op);
const BINARY: Array<[string, number]> = [
  ['or', 1], ['and', PREC_AND],
  ['==', 6], ['!=', 6], ['<', 7], ['>', 7], ['<=', 7], ['>=', 7], ['in', 7], ['not in', 7],
  ['+', 9], ['-', 9], ['~', 9], ['*', 10], ['/', 10], ['//', 10], ['%', 10],
  ['is', 13], ['is not', 13], ['|', 14],
];
for (const [op, prec] of BINARY) jsep.addBinaryOp(op, prec);
jsep.addBinaryOp('**', 11, true);
for (const [name, value] of [['True', true], ['False', false], ['None', null], ['none', null]] as const) jsep.addLiteral(name, value);

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

// `not` binds looser than comparisons (`not a == b` is `not (a == b)`) but tighter than and/or.
jsep.hooks.add('gobble-token', function (this: Scope, env: { node?: Node }) {
  if (!this.expr.startsWith('not', this.index) || isIdentChar(this.expr[this.index + 3])) return;
  this.index += 3;
  const first = this.gobbleToken();
  if (!first) this.throwError("Expected expression after 'not'");
  env.node = { type: 'UnaryExpression', operator: 'not', argument: climb(this, first!, PREC_AND), prefix: true };
});

/**
 * Outside string literals: whitespace runs become one space (so `not  in` and line breaks from
 * YAML folding parse), and `{{` is noticed.
 */
function normalize(src: string): { text: string; templated: boolean } {
  let out = '';
  let quote: string | undefined;
  let templated = false;
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
    } else {
      if (c === '{' && src[i + 1] === '{') templated = true;
      out += c;
    }
  }
  return { text: out.trimEnd(), templated };
}

// ---- static checks -----------------------------------------------------------------------------

const CONSTANT_NAMES = new Set(['true', 'false', 'null']);

/** Tests may be written as literals: `is true`, `is none`. */
function testName(n: Node): string | undefined {
  if (n.type === 'Identifier') return n.name as string;
  if (n.type === 'Literal') return n.value === null ? 'none' : typeof n.value === 'boolean' ? String(n.value) : undefined;
  return undefined;
}

/** The name and argument nodes of a filter/test written as `name` or `name(args)`. */
function callParts(n: Node): { name: string | undefined; args: Node[] } {
  if (n.type === 'CallExpression') return { name: testName(n.callee as Node), args: n.arguments as Node[] };
  return { name: testName(n), args: [] };
}

/** Rejects what the evaluator does not support, with a reason; returns top-level names read. */
function check(root: Node, fail: (msg: string, hint?: string) => never): string[] {
  const names = new Set<string>();
  const callable = (n: Node, table: Record<string, Callable<unknown>>, kind: 'filter' | 'test') => {
    const { name, args } = callParts(n);
    if (name === undefined) return fail(`expected a ${kind} name after '${kind === 'filter' ? '|' : 'is'}'`);
    const def = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!def) {
      const guess = didYouMean(name, Object.keys(table));
      return fail(`unknown ${kind} '${name}'`, guess ? `did you mean '${guess}'?` : `${kind}s: ${Object.keys(table).join(', ')}`);
    }
    if (args.length < def.min || args.length > def.max) {
      const want = def.min === def.max ? `${def.min}` : `${def.min} to ${def.max}`;
      fail(`${kind} '${name}' takes ${want} argument(s), got ${args.length}`);
    }
    args.forEach(visit);
  };
  const visit = (n: Node): void => {
    switch (n.type) {
      case 'Literal':
        return;
      case 'Identifier':
        if (!CONSTANT_NAMES.has(n.name as string)) names.add(n.name as string);
        return;
      case 'MemberExpression':
        visit(n.object as Node);
        if (n.computed) visit(n.property as Node);
        return;
      case 'ArrayExpression':
        for (const e of n.elements as Array<Node | null>) {
          if (!e) fail('empty element in list');
          visit(e!);
        }
        return;
      case 'UnaryExpression':
        if (Object.hasOwn(JS_OPERATORS, n.operator as string)) fail(`use '${JS_OPERATORS[n.operator as string]}' instead of '${n.operator}'`);
        visit(n.argument as Node);
        return;
      case 'BinaryExpression': {
        const op = n.operator as string;
        if (Object.hasOwn(JS_OPERATORS, op)) fail(`use '${JS_OPERATORS[op]}' instead of '${op}'`);
        visit(n.left as Node);
        if (op === '|') callable(n.right as Node, FILTERS, 'filter');
        else if (op === 'is' || op === 'is not') callable(n.right as Node, TESTS as Record<string, Callable<unknown>>, 'test');
        else visit(n.right as Node);
        return;
      }
      case 'CallExpression':
        return fail('function and method calls are not supported', "use a filter or test: x | length, x is match('re'), 'a' in x");
      case 'Compound':
        return fail('expected one expression', 'an operator is missing between two values?');
      case 'ConditionalExpression':
        return fail("'? :' is not supported");
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

function call(n: Node, value: unknown, table: Record<string, Callable<unknown>>, vars: Vars): unknown {
  const { name, args } = callParts(n);
  const def = table[name!]!;
  const argValues = args.map((a) => need(evaluateNode(a, vars)));
  return def.fn(def.acceptsUndefined ? value : need(value), argValues);
}

function evaluateNode(n: Node, vars: Vars): unknown {
  switch (n.type) {
    case 'Literal':
      return n.value;
    case 'Identifier': {
      const name = n.name as string;
      const v = getOwn(vars, name);
      return v === undefined ? new Undef(name) : v;
    }
    case 'MemberExpression': {
      const obj = evaluateNode(n.object as Node, vars);
      if (obj instanceof Undef) return obj; // name the first missing part: 'a' in a.b.c
      const key = n.computed ? need(evaluateNode(n.property as Node, vars)) : ((n.property as Node).name as string);
      const v = member(obj, key);
      return v === undefined ? new Undef(describe(n)) : v;
    }
    case 'ArrayExpression':
      return (n.elements as Node[]).map((e) => need(evaluateNode(e, vars)));
    case 'UnaryExpression': {
      const v = need(evaluateNode(n.argument as Node, vars));
      if (n.operator === 'not') return !truthy(v);
      return n.operator === '-' ? -num(v, '-') : num(v, '+');
    }
    case 'BinaryExpression': {
      const op = n.operator as string;
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

// ---- public API --------------------------------------------------------------------------------

const cache = new Map<string, Condition>();

function constant(value: boolean | number): Condition {
  return { source: String(value), names: [], evaluate: () => value };
}

/** Parses a condition at plan time; syntax and unsupported constructs are InputErrors at where. */
export function compileCondition(expr: string | boolean | number, where?: SourcePos): Condition {
  if (typeof expr === 'boolean' || typeof expr === 'number') return constant(expr);
  if (typeof expr !== 'string') throw new InputError(`a condition must be a string, boolean or number, not ${JSON.stringify(expr) ?? 'nothing'}`, where);
  const hit = cache.get(expr);
  if (hit) return hit;
  const source = expr.trim();
  const { text, templated } = normalize(source);
  if (templated) {
    const bare = source.replace(/\{\{\s*|\s*\}\}/g, '');
    throw new InputError('conditions are bare expressions: remove the {{ }}', where, `write: ${bare}`);
  }
  if (!text) throw new InputError('empty condition', where);
  const fail = (msg: string, hint?: string): never => {
    throw new InputError(`condition '${source}': ${msg}`, where, hint);
  };
  let ast: Node;
  try {
    ast = jsep(text);
  } catch (e) {
    const err = e as Error & { description?: string; index?: number };
    const near = typeof err.index === 'number' ? text.slice(err.index, err.index + 12) : '';
    return fail(`syntax: ${err.description ?? err.message}${near ? ` near '${near}'` : ' at the end'}`);
  }
  const names = check(ast, fail);
  const condition: Condition = {
    source,
    names,
    evaluate(vars: Vars): unknown {
      try {
        return need(evaluateNode(ast, vars));
      } catch (e) {
        throw new Error(`${(e as Error).message} in condition '${source}'`);
      }
    },
  };
  cache.set(expr, condition);
  return condition;
}

/** A list of conditions means all of them (Ansible's `when: [a, b]`). */
export function evaluateAll(conds: Condition[], vars: Vars): boolean {
  return conds.every((c) => truthy(c.evaluate(vars)));
}
