/** Conditions (`when`, `changed_when`, `failed_when`, assert's `that`): bare expressions of the one expression language. */
import { InputError, type SourcePos } from '../errors.js';
import type { Vars } from '../modules/types.js';
import { compileExpression, type Expression } from './expressions.js';
import { truthy } from './values.js';

export { truthy } from './values.js';

export type Condition = Expression;

function constant(value: boolean | number): Condition {
  return { source: String(value), names: [], evaluate: () => value };
}

/** Parses a condition at plan time; syntax and unsupported constructs are InputErrors at where. */
export function compileCondition(expr: string | boolean | number, where?: SourcePos): Condition {
  if (typeof expr === 'boolean' || typeof expr === 'number') return constant(expr);
  if (typeof expr !== 'string') throw new InputError(`a condition must be a string, boolean or number, not ${JSON.stringify(expr) ?? 'nothing'}`, where);
  if (/\{\{[\s\S]*\}\}/.test(stripStrings(expr))) {
    const bare = expr.trim().replace(/\{\{\s*|\s*\}\}/g, '');
    throw new InputError('conditions are bare expressions: remove the {{ }}', where, `write: ${bare}`);
  }
  return compileExpression(expr, where, 'condition');
}

/** The text with string literals blanked, to look for {{ outside them. */
function stripStrings(s: string): string {
  return s.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
}

/** A list of conditions means all of them (Ansible's `when: [a, b]`). */
export function evaluateAll(conds: Condition[], vars: Vars): boolean {
  return conds.every((c) => truthy(c.evaluate(vars)));
}
