/**
 * Finds the `{{ … }}` of a template that hold Ansible expressions (`{{ groups['k8s'] | length }}`)
 * rather than Handlebars (`{{#each}}`, `{{this}}`, `{{json pools 2}}`), for template.ts to hand
 * them to the one expression evaluator. A Jinja statement (`{% … %}`) is refused here.
 */
import { InputError, type SourcePos } from '../errors.js';

export interface ExpressionSite {
  /** The text between the braces. */
  source: string;
  /** Where `{{` starts: index, 1-based line, 0-based column. */
  index: number;
  line: number;
  column: number;
  /** Index just past the closing `}}`. */
  end: number;
}

/** A Handlebars path: a, a.b, a.[0], this, this.x, @index, @root.x, ../x. Both languages read these alike. */
const HB_PATH = /^(?:@?[A-Za-z_$][\w$]*|this|(?:\.\.\/)+[A-Za-z_$][\w$]*)(?:\.(?:[\w$]+|\[[^\]]*\]))*$/;
const JINJA_WORDS = /(^|\s)(and|or|not|in|is|if|else)(\s|$)/;

/** True when the mustache's content is Handlebars' own: a block, comment, partial, path or helper call. */
function isHandlebars(content: string, isHelper: (name: string) => boolean): boolean {
  const c = content.trim();
  if (/^[#/^!>*&~]/.test(c) || /~$/.test(c) || /^else(\s|$)/.test(c)) return true;
  if (HB_PATH.test(c)) return !/^(True|False|None|true|false|none)$/.test(c); // literals are the expression's
  const m = /^([A-Za-z_$][\w$-]*)\s+([\s\S]+)$/.exec(c);
  if (!m || !isHelper(m[1]!)) return false;
  const rest = m[2]!.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""').replace(/\.\[[^\]]*\]/g, '.x');
  return /^[\w@.\/()=\s"$-]*$/.test(rest) && !JINJA_WORDS.test(rest);
}

function position(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: index - last - 1 };
}

/** Index just past the `}}` that closes the mustache opened at `from` (braces and quotes inside counted). */
function closing(text: string, from: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && text[i + 1] === '}') return i + 2;
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

/** `{% for … %}`, `{% endif %}`: a Jinja statement, not awk's printf "{%s}" or other text with `{%`. */
const JINJA_STATEMENT = /\{%[-+]?\s*(?:for|endfor|if|elif|else|endif|set|endset|raw|endraw|macro|endmacro|block|endblock|include|import|from|with|endwith|filter|endfilter|call|endcall|extends)\b[^%]*%\}/g;

const STATEMENT_HINTS: Record<string, string> = {
  for: 'loop with Handlebars: {{#each list}}{{this}}{{/each}} (or {{#each list as |item|}}{{ item.name }}{{/each}})',
  if: 'branch with Handlebars: {{#if flag}}…{{else}}…{{/if}}, or inline: {{ a if cond else b }}',
  set: 'set variables in vars: (play, role, task) instead',
};

/** The expression mustaches of a template, in order; Jinja statements are an error at their line. */
export function expressionSites(text: string, isHelper: (name: string) => boolean, where?: SourcePos): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    JINJA_STATEMENT.lastIndex = i;
    const stmt = JINJA_STATEMENT.exec(text)?.index ?? -1;
    if (stmt >= 0 && (open < 0 || stmt < open)) {
      const word = /^\{%[-+]?\s*(\w+)/.exec(text.slice(stmt))?.[1] ?? '';
      const p = position(text, stmt);
      const at = where && { file: where.file, line: where.line + p.line - 1, col: p.line === 1 ? where.col + p.column : p.column + 1 };
      throw new InputError(`Jinja statements ({% ${word || '…'} %}) are not supported: fabric's templates are Handlebars with Ansible expressions`, at, STATEMENT_HINTS[word] ?? 'use Handlebars blocks: {{#each}}, {{#if}}; {{{{raw}}}}…{{{{/raw}}}} keeps text such as {% %} verbatim');
    }
    if (open < 0) return sites;
    if (text.startsWith('{{{{', open)) {
      // a raw block: verbatim up to its close
      const close = text.indexOf('{{{{/', open + 4);
      if (close < 0) return sites;
      i = text.indexOf('}}}}', close) + 4;
      if (i < 4) return sites;
      continue;
    }
    if (text.startsWith('{{!', open)) {
      const end = text.startsWith('{{!--', open) ? text.indexOf('--}}', open) : text.indexOf('}}', open);
      if (end < 0) return sites;
      i = end + 2;
      continue;
    }
    if (text[open + 2] === '{') {
      i = open + 3; // {{{ triple-stash }}}: Handlebars'
      continue;
    }
    const end = closing(text, open + 2);
    if (end < 0) return sites; // unclosed: Handlebars' parser reports it
    const source = text.slice(open + 2, end - 2);
    if (!isHandlebars(source, isHelper)) sites.push({ source, index: open, end, ...position(text, open) });
    i = end;
  }
}
