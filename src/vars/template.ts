/**
 * Handlebars templating of playbook strings and template files (handlebars 4.7, noEscape, strict).
 *
 * Helpers (besides Handlebars' own if, unless, each, with, lookup):
 *   json value [indent]     JSON text of a value: {{json pools}}, {{json cfg 2}}
 *   to_yaml value           YAML text of a value (no trailing newline)
 *   join list [sep]         items joined with sep ('' by default, like Jinja)
 *   default value fallback  fallback when value is undefined or null: {{default port 6443}}
 *   eq a b / ne a b         deep equality / inequality
 *   lt a b, gt, le, ge      ordering of two numbers or two strings
 *   and a b ... / or a b ...  Python-like: and = first falsy or last; or = first truthy or last
 *   not a                   negated truthiness (Python rules: [], {}, '', 0 are false)
 *   add a b                 sum of two numbers (numeric strings accepted)
 *   lower s / upper s / trim s
 *   hostvar host key        hostvars[host][key], e.g. {{#each groups.k8s}}{{hostvar this "fabric_host"}}{{/each}}
 *   cidrs range             CIDRs exactly covering "a.b.c.d-e.f.g.h", a CIDR, or a list of those:
 *                           "172.16.1.220-172.16.1.250" -> 172.16.1.220/30, .224/28, .240/29, .248/31, .250/32
 *   range_first range       first address of a range or CIDR (of the first one in a list)
 *   indent n text           indents every line but the first by n spaces (like Jinja's indent)
 *   {{{{raw}}}}...{{{{/raw}}}}  the text between, verbatim (Go/Helm templates inside a file)
 *
 * A string that is exactly one variable reference ("{{ groups.k8s }}") renders to the variable's
 * own value (list, mapping, number, bool), like Ansible's native types; anything else is a string,
 * where a list or mapping read by `{{ var }}` appears as JSON.
 * `{{missing}}` is an error naming the variable; helper arguments may be undefined, so
 * `{{#if maybe}}` and `{{default maybe "x"}}` work.
 */
// handlebars' single-file build: one file to load instead of its ~40 CommonJS modules, which
// took 65 ms of every run's start-up against 24 (measured with `require` on this machine).
import Handlebars from 'handlebars/dist/handlebars.min.js';
import { stringify as yamlStringify } from 'yaml';
import { InputError, type SourcePos } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Vars } from '../modules/types.js';
import { compileExpression, type Expression } from './expressions.js';
import { cidrsOf, rangeFirst } from './ipv4-ranges.js';
import { expressionSites } from './mustaches.js';
import { deriveSecret } from './secrets.js';
import { textOf } from './py.js';
import { compare, equals, getOwn, isPlainObject, truthy } from './values.js';

type Node = { type: string; loc?: Loc; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Loc {
  start: { line: number; column: number }; // line 1-based, column 0-based
}
type HelperOptions = Handlebars.HelperOptions & { loc?: Loc };

const hb = Handlebars.create();
hb.unregisterHelper('log'); // would print straight to stdout, past the renderers

/** An error raised while rendering, located inside the template text. */
class TemplateFault extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly loc?: Loc,
  ) {
    super(message);
  }
}

const keysOf = (v: unknown): string[] => (isPlainObject(v) ? Object.keys(v) : []);

/**
 * Resolves root.keys[0].keys[1]... or throws naming the variable as written; `head` is how the
 * root was written (`pool`, `this.x`, `@root`, `hostvars`) and context the object it was read from.
 */
function resolveStrict(head: string, root: unknown, keys: string[], context: unknown, loc?: Loc): unknown {
  const display = [head, ...keys].join('.');
  if (root === undefined) {
    const relative = head.startsWith('@') || head.startsWith('.');
    const guess = relative ? undefined : didYouMean(head.replace(/^this\./, ''), keysOf(context));
    throw new TemplateFault(`undefined variable '${display}' in template`, guess ? `did you mean '${guess}'?` : undefined, loc);
  }
  let cur = root;
  for (let i = 0; i < keys.length; i++) {
    const next = getOwn(cur, keys[i]!);
    if (next === undefined) {
      const parent = [head, ...keys.slice(0, i)].join('.');
      const guess = didYouMean(keys[i]!, keysOf(cur));
      const hint = guess ? `did you mean '${parent}.${guess}'?` : `'${parent}' has no key '${keys[i]}'`;
      throw new TemplateFault(`undefined variable '${display}' in template`, hint, loc);
    }
    cur = next;
  }
  return cur;
}

function resolveLenient(root: unknown, keys: string[]): unknown {
  let cur = root;
  for (const k of keys) {
    if (cur === undefined) return undefined;
    cur = getOwn(cur, k);
  }
  return cur;
}

/**
 * What a mustache writes. Always a string: with noEscape Handlebars would otherwise add adjacent
 * numbers (`{{a}}{{b}}` -> 3). Booleans as Python writes them (True/False), None as nothing, as
 * Ansible does; lists and mappings as JSON, not "a,b" or "[object Object]".
 */
const outputText = textOf;

// Internal helpers the AST rewrite targets: `{{a.b}}` -> `{{__value "a" a "b"}}`, params `a.b` -> `(__get a "b")`,
// `{{helper x}}` -> `{{__out (helper x)}}`.
hb.registerHelper('__value', function (this: unknown, head: string, root: unknown, ...rest: unknown[]) {
  const options = rest.pop() as HelperOptions;
  return outputText(resolveStrict(head, root, rest as string[], this, options.loc));
});
hb.registerHelper('__out', (v: unknown) => outputText(v));
hb.registerHelper('__get', function (root: unknown, ...rest: unknown[]) {
  rest.pop();
  return resolveLenient(root, rest as string[]);
});

/** Expressions met in templates, by number: `{{ a | b }}` becomes `{{__expr N a}}` (its root names as parameters). */
const expressions: Expression[] = [];
const expressionIds = new Map<string, number>();

/** The expression's root names read where the mustache is (block params, the context), else from the template's root. */
function expressionScope(e: Expression, given: unknown[], self: unknown, root: unknown): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  e.names.forEach((n, i) => {
    const v = n === 'this' ? self : given[i] !== undefined ? given[i] : getOwn(root, n);
    if (v !== undefined) scope[n] = v;
  });
  return scope;
}

function evaluateIn(e: Expression, scope: Record<string, unknown>, loc?: Loc): unknown {
  try {
    return e.evaluate(scope);
  } catch (err) {
    throw new TemplateFault((err as Error).message, undefined, loc);
  }
}

hb.registerHelper('__expr', function (this: unknown, id: number, ...rest: unknown[]) {
  const options = rest.pop() as HelperOptions;
  const e = expressions[id]!;
  return outputText(evaluateIn(e, expressionScope(e, rest, this, options.data?.root), options.loc));
});

type HelperFn = (this: unknown, args: unknown[], options: HelperOptions) => unknown;

/** Registers a public helper with an argument count check and errors located at the call. */
function defineHelper(name: string, min: number, max: number, fn: HelperFn): void {
  hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
    const options = all.pop() as HelperOptions;
    if (all.length < min || all.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new TemplateFault(`helper '${name}' takes ${want} argument(s), got ${all.length}`, undefined, options.loc);
    }
    try {
      const out = fn.call(this, all, options);
      deriveSecret(all, out);
      return out;
    } catch (e) {
      if (e instanceof TemplateFault) throw e;
      throw new TemplateFault(`helper '${name}': ${(e as Error).message}`, undefined, options.loc);
    }
  });
}

function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${what} must be a string, got ${JSON.stringify(v) ?? 'undefined'}`);
}

function numeric(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Error(`${JSON.stringify(v) ?? 'undefined'} is not a number`);
  return n;
}

defineHelper('json', 1, 2, ([v, indent]) => JSON.stringify(v ?? null, null, indent === undefined ? undefined : numeric(indent)));
defineHelper('to_yaml', 1, 1, ([v]) => yamlStringify(v ?? null).trimEnd());
defineHelper('join', 1, 2, ([list, sep]) => {
  if (!Array.isArray(list)) throw new Error(`expected a list, got ${JSON.stringify(list) ?? 'undefined'}`);
  return list.join(sep === undefined ? '' : text(sep, 'separator'));
});
defineHelper('default', 2, 2, ([v, fallback]) => (v === undefined || v === null ? fallback : v));
defineHelper('eq', 2, 2, ([a, b]) => equals(a, b));
defineHelper('ne', 2, 2, ([a, b]) => !equals(a, b));
defineHelper('lt', 2, 2, ([a, b]) => compare(a, b) < 0);
defineHelper('gt', 2, 2, ([a, b]) => compare(a, b) > 0);
defineHelper('le', 2, 2, ([a, b]) => compare(a, b) <= 0);
defineHelper('ge', 2, 2, ([a, b]) => compare(a, b) >= 0);
defineHelper('and', 1, Infinity, (args) => args.find((a) => !truthy(a)) ?? args[args.length - 1]);
defineHelper('or', 1, Infinity, (args) => args.find((a) => truthy(a)) ?? args[args.length - 1]);
defineHelper('not', 1, 1, ([a]) => !truthy(a));
defineHelper('add', 2, 2, ([a, b]) => numeric(a) + numeric(b));
defineHelper('lower', 1, 1, ([s]) => text(s, 'argument').toLowerCase());
defineHelper('upper', 1, 1, ([s]) => text(s, 'argument').toUpperCase());
defineHelper('trim', 1, 1, ([s]) => text(s, 'argument').trim());
defineHelper('hostvar', 2, 2, ([host, key], options) => {
  const h = text(host, 'host');
  const k = text(key, 'key');
  const hostvars = getOwn(options.data?.root, 'hostvars');
  return resolveStrict('hostvars', hostvars, [h, k], undefined, options.loc);
});
defineHelper('cidrs', 1, 1, ([spec]) => cidrsOf(spec));
defineHelper('range_first', 1, 1, ([spec]) => rangeFirst(spec));
defineHelper('indent', 2, 2, ([n, s]) => {
  const pad = ' '.repeat(numeric(n));
  return text(s, 'text')
    .split('\n')
    .map((line, i) => (i === 0 || line.trim() === '' ? line : pad + line))
    .join('\n');
});

defineHelper('raw', 0, 0, function (this: unknown, _args, options) {
  return options.fn(this);
});

/** Helper names a template may call (Handlebars' built-ins and ours), for static analysis. */
export function templateHelperNames(): string[] {
  return Object.keys(hb.helpers).filter((n) => !n.startsWith('__'));
}

export function isTemplated(s: string): boolean {
  return s.includes('{{');
}

// ---- positions and errors --------------------------------------------------------------------

function shift(where: SourcePos | undefined, line: number, column0: number): SourcePos | undefined {
  if (!where) return undefined;
  return { file: where.file, line: where.line + line - 1, col: line === 1 ? where.col + column0 : column0 + 1 };
}

function toInputError(e: unknown, where: SourcePos | undefined): InputError {
  if (e instanceof InputError) return e;
  if (e instanceof TemplateFault) {
    const pos = e.loc ? shift(where, e.loc.start.line, e.loc.start.column) : where;
    return new InputError(e.message, pos, e.hint);
  }
  const err = e as Error & { lineNumber?: number; column?: number };
  const msg = (err.message ?? String(e)).replace(/ - \d+:\d+$/, '');
  const pos = typeof err.lineNumber === 'number' ? shift(where, err.lineNumber, err.column ?? 0) : where;
  return new InputError(`template: ${msg.split('\n')[0]}`, pos);
}

const TOKEN_NAMES: Record<string, string> = { CLOSE: "'}}'", CLOSE_SEXPR: "')'", OPEN_SEXPR: "'('", ID: 'a name', EOF: 'end of template' };

/** Parse errors come from jison without a location object; its lexer still holds the offending token. */
function syntaxError(e: unknown, where: SourcePos | undefined): InputError {
  const err = e as Error & { lineNumber?: number; column?: number };
  if (typeof err.lineNumber === 'number') {
    const msg = err.message.replace(/ - \d+:\d+$/, '');
    return new InputError(`template syntax: ${msg}`, shift(where, err.lineNumber, err.column ?? 0));
  }
  const lexer = (hb as unknown as { Parser: { lexer: { yytext: string; yylloc: { first_line: number; first_column: number } } } }).Parser.lexer;
  const got = /got '([A-Z_]+)'/.exec(err.message)?.[1];
  const expecting = [...(/Expecting (.*), got/.exec(err.message)?.[1] ?? '').matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
  let reason: string;
  let hint: string | undefined;
  if (got === 'EOF') {
    reason = 'unexpected end of template';
    hint = 'a {{ or a {{#block}} is not closed';
  } else {
    reason = `unexpected ${lexer.yytext ? `'${lexer.yytext}'` : (TOKEN_NAMES[got ?? ''] ?? got ?? 'input')}`;
    const names = expecting.map((t) => TOKEN_NAMES[t]).filter((x): x is string => !!x);
    if (names.length) hint = `expected ${[...new Set(names)].join(' or ')}`;
  }
  return new InputError(`template syntax: ${reason}`, shift(where, lexer.yylloc.first_line, lexer.yylloc.first_column), hint);
}

// ---- static checks and the AST rewrite -------------------------------------------------------

const isSimpleId = (p: Node): boolean =>
  p.type === 'PathExpression' && p.parts.length === 1 && !p.data && p.depth === 0 && p.original === p.parts[0];
const hasArgs = (n: Node): boolean => n.params.length > 0 || (n.hash?.pairs?.length ?? 0) > 0;

/** Unknown helpers, partials and decorators are input errors found before running. */
function checkAst(program: Node, where: SourcePos | undefined): void {
  const helpers = templateHelperNames();
  const fail = (n: Node, message: string, hint?: string): never => {
    throw new InputError(message, n.loc ? shift(where, n.loc.start.line, n.loc.start.column) : where, hint);
  };
  const call = (n: Node, blockParams: string[]): void => {
    const name = n.path.original;
    if (hasArgs(n) && isSimpleId(n.path) && !Object.hasOwn(hb.helpers, name) && !blockParams.includes(name)) {
      const guess = didYouMean(name, helpers);
      fail(n, `unknown template helper '${name}'`, guess ? `did you mean '${guess}'?` : `helpers: ${helpers.join(', ')}`);
    }
    for (const p of [...n.params, ...(n.hash?.pairs ?? []).map((x: Node) => x.value)]) if (p.type === 'SubExpression') call(p, blockParams);
  };
  const visit = (n: Node | undefined, blockParams: string[]): void => {
    if (!n) return;
    switch (n.type) {
      case 'Program':
        for (const s of n.body) visit(s, blockParams);
        break;
      case 'MustacheStatement':
        call(n, blockParams);
        break;
      case 'BlockStatement': {
        call(n, blockParams);
        visit(n.program, [...blockParams, ...(n.program?.blockParams ?? [])]);
        visit(n.inverse, blockParams);
        break;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        fail(n, 'template partials ({{> name}}) are not supported');
        break;
      case 'Decorator':
      case 'DecoratorBlock':
        fail(n, 'template decorators ({{* name}}) are not supported');
    }
  };
  visit(program, []);
}

const literal = (value: string, loc?: Loc): Node => ({ type: 'StringLiteral', value, original: value, loc });
const helperPath = (name: string, loc?: Loc): Node => ({ type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc });

/** The first segment of a path as its own path, keeping data/depth/`this.` scoping. */
function headOf(p: Node): Node {
  if (p.parts.length <= 1) return p;
  const scoped = /^\.|this\b/.test(p.original);
  const prefix = p.data ? '@' : scoped ? 'this.' : '../'.repeat(p.depth);
  return { ...p, parts: [p.parts[0]], original: prefix + p.parts[0] };
}

/** A dotted path in argument position becomes (__get head "k"...): undefined instead of a TypeError. */
function rewriteArg(e: Node): Node {
  if (e.type === 'SubExpression') return rewriteCall(e);
  if (e.type !== 'PathExpression' || e.parts.length < 2) return e;
  return { type: 'SubExpression', path: helperPath('__get', e.loc), params: [headOf(e), ...e.parts.slice(1).map((k: string) => literal(k, e.loc))], loc: e.loc };
}

function rewriteCall<T extends Node>(n: T): T {
  return {
    ...n,
    params: n.params.map(rewriteArg),
    hash: n.hash ? { ...n.hash, pairs: n.hash.pairs.map((p: Node) => ({ ...p, value: rewriteArg(p.value) })) } : n.hash,
  };
}

/** True when a mustache reads a variable (or `this`) rather than calling a helper. */
function isVariableRead(m: Node): boolean {
  return m.path.type === 'PathExpression' && !hasArgs(m) && !(isSimpleId(m.path) && Object.hasOwn(hb.helpers, m.path.parts[0]));
}

function rewriteStatement(s: Node): Node {
  switch (s.type) {
    case 'MustacheStatement':
      if (!isVariableRead(s)) {
        if (s.path.type !== 'PathExpression') return s; // {{"literal"}}: Handlebars resolves it as a helper name
        const { params, hash, path, loc } = rewriteCall(s);
        return { ...s, path: helperPath('__out', loc), params: [{ type: 'SubExpression', path, params, hash, loc }], hash: undefined };
      }
      return {
        ...s,
        path: helperPath('__value', s.loc),
        params: [literal(headOf(s.path).original, s.loc), headOf(s.path), ...s.path.parts.slice(1).map((k: string) => literal(k, s.loc))],
        hash: undefined,
      };
    case 'BlockStatement':
      return { ...rewriteCall(s), program: s.program && rewriteProgram(s.program), inverse: s.inverse && rewriteProgram(s.inverse) };
    default:
      return s;
  }
}

function rewriteProgram(p: Node): Node {
  return { ...p, body: p.body.map(rewriteStatement) };
}

// ---- compile cache and rendering -------------------------------------------------------------

interface NativeRead {
  display: string; // how the root was written: `pool`, `this.pool`, `@root`
  head: string | undefined; // the root variable's name (undefined for bare `@root`)
  keys: string[];
  loc?: Loc;
}

interface Compiled {
  render: Handlebars.TemplateDelegate;
  native: NativeRead | undefined;
  /** A whole string that is one expression: its value keeps its type. */
  nativeExpr: { expr: Expression; loc: Loc } | undefined;
  /** A whole string that is one helper call: renders into nativeSlot to keep the value's type. */
  nativeCall: Handlebars.TemplateDelegate | undefined;
}

// Rendering is synchronous, so one slot carries a lone helper call's value out of Handlebars.
let nativeSlot: { value: unknown } | undefined;
hb.registerHelper('__native', (v: unknown) => {
  if (nativeSlot) nativeSlot.value = v;
  return '';
});

/** `{{ cidrs pool }}` alone: the same call wrapped as `{{__native (cidrs pool)}}`. */
function nativeHelperCall(program: Node): Node | undefined {
  const body = program.body.filter((s: Node) => !(s.type === 'ContentStatement' && /^\s*$/.test(s.value)));
  const m = body.length === 1 ? (body[0] as Node) : undefined;
  if (!m || m.type !== 'MustacheStatement' || m.path.type !== 'PathExpression' || !hasArgs(m)) return undefined;
  const call = { type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc: m.loc };
  const path = { type: 'PathExpression', data: false, depth: 0, parts: ['__native'], original: '__native', loc: m.loc };
  return { ...program, body: [{ ...m, path, params: [call], hash: undefined }] };
}

/** A whole string that is one variable read (whitespace around allowed) keeps the value's type. */
function nativeRead(program: Node): NativeRead | undefined {
  const body = program.body.filter((s: Node) => !(s.type === 'ContentStatement' && /^\s*$/.test(s.value)));
  const m = body.length === 1 ? (body[0] as Node) : undefined;
  if (!m || m.type !== 'MustacheStatement' || !isVariableRead(m)) return undefined;
  const p = m.path;
  if (p.depth > 0 || (p.data && p.parts[0] !== 'root')) return undefined;
  const parts: string[] = p.data ? p.parts.slice(1) : p.parts;
  const display = p.data ? (parts.length ? `@root.${parts[0]}` : '@root') : headOf(p).original;
  return { display, head: parts[0], keys: parts.slice(1), loc: m.loc };
}

const MAX_CACHE = 20000;
const cache = new Map<string, Compiled>();
const isHelperName = (name: string): boolean => Object.hasOwn(hb.helpers, name) && !name.startsWith('__');

function expressionId(e: Expression): number {
  let id = expressionIds.get(e.source);
  if (id === undefined) {
    id = expressions.push(e) - 1;
    expressionIds.set(e.source, id);
  }
  return id;
}

/**
 * The template as Handlebars reads it: each expression mustache becomes `{{__expr N name...}}`,
 * as long as the original where it can be (padded with its own line breaks and spaces), so
 * positions Handlebars reports after it stay true.
 */
function handlebarsText(text: string, where: SourcePos | undefined): { text: string; single: { expr: Expression; loc: Loc } | undefined } {
  const sites = expressionSites(text, isHelperName, where);
  if (!sites.length) return { text, single: undefined };
  let out = '';
  let at = 0;
  let single: { expr: Expression; loc: Loc } | undefined;
  for (const site of sites) {
    const expr = compileExpression(site.source, shift(where, site.line, site.column), 'expression');
    const call = `{{__expr ${expressionId(expr)}${expr.names.map((n) => ` ${n}`).join('')}`;
    const original = text.slice(site.index, site.end);
    const breaks = original.split('\n').length - 1;
    const pad = Math.max(0, original.length - call.length - 2 - breaks);
    out += text.slice(at, site.index) + call + ' '.repeat(pad) + '\n'.repeat(breaks) + '}}';
    at = site.end;
    if (sites.length === 1 && text.trim() === original.trim()) single = { expr, loc: { start: { line: site.line, column: site.column } } };
  }
  return { text: out + text.slice(at), single };
}

/** Root variable names aside, what templateRootNames reads: the template with its expressions as helper calls. */
export function analysisText(text: string): string {
  return handlebarsText(text, undefined).text;
}

function compiled(text: string, where: SourcePos | undefined): Compiled {
  let c = cache.get(text);
  if (c) return c;
  const source = handlebarsText(text, where);
  let program: Node;
  try {
    program = hb.parseWithoutProcessing(source.text) as unknown as Node;
  } catch (e) {
    throw syntaxError(e, where);
  }
  checkAst(program, where);
  const call = nativeHelperCall(program);
  c = {
    nativeExpr: source.single,
    native: nativeRead(program),
    nativeCall: call ? hb.compile(rewriteProgram(call), { noEscape: true, strict: true }) : undefined,
    // hb.compile is lazy: the JavaScript is generated on the first render
    render: hb.compile(rewriteProgram(program), { noEscape: true, strict: true }),
  };
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(text, c);
  return c;
}

/** Parses only; a syntax error, unknown helper or partial is an InputError at its line. */
export function checkTemplate(text: string, where?: SourcePos): void {
  compiled(text, where);
}

function run(c: Compiled, vars: Vars, where: SourcePos | undefined): string {
  try {
    return c.render(vars);
  } catch (e) {
    throw toInputError(e, where);
  }
}

/** Renders one string; a lone `{{ var }}` returns the variable's value with its type. */
export function renderString(text: string, vars: Vars, where?: SourcePos): unknown {
  if (!text.includes('{{')) return text;
  const c = compiled(text, where);
  let value: unknown;
  if (c.nativeExpr) {
    const { expr, loc } = c.nativeExpr;
    try {
      value = evaluateIn(expr, expressionScope(expr, [], vars, vars), loc);
    } catch (e) {
      throw toInputError(e, where);
    }
  } else if (c.nativeCall) {
    nativeSlot = { value: undefined };
    try {
      run({ ...c, render: c.nativeCall }, vars, where);
      value = nativeSlot.value;
    } finally {
      nativeSlot = undefined;
    }
  } else if (c.native) {
    const n = c.native;
    try {
      value = n.head === undefined ? vars : resolveStrict(n.display, getOwn(vars, n.head), n.keys, vars, n.loc); // {{this}}: vars
    } catch (e) {
      throw toInputError(e, where);
    }
  } else return run(c, vars, where);
  // Text keeps the whitespace written around it (`content: "{{ line }}\n"`); lists and numbers are values.
  return typeof value === 'string' && text.trim() !== text ? run(c, vars, where) : value;
}

/** Renders to text always (template files). */
export function renderText(text: string, vars: Vars, where?: SourcePos): string {
  if (!text.includes('{{')) return text;
  return run(compiled(text, where), vars, where);
}

/** A copy of value with every string in it rendered (keys are left as written). */
export function renderDeep(value: unknown, vars: Vars, where?: SourcePos): unknown {
  if (typeof value === 'string') return renderString(value, vars, where);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars, where));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, vars, where)]));
  return value;
}
