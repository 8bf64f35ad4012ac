import type { Vars } from '../modules/types.js';
import { isTemplated, templateHelperNames } from '../vars/template.js';
import { templateRootNames } from './undefined-vars.js';

function templates(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') {
    if (isTemplated(v)) out.push(v);
  } else if (Array.isArray(v)) v.forEach((x) => templates(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => templates(x, out));
  return out;
}

/**
 * Whether a task reading these root names reads `facts`: directly, or through a variable whose
 * value is a template that does (a role default `"{{ facts.os_family }}"`), however deep. Read
 * from the templates' syntax trees, not guessed from their text.
 */
export function readsFacts(reads: string[], sources: Vars[]): boolean {
  const helpers = new Set(templateHelperNames());
  const seen = new Set<string>();
  const todo = [...reads];
  while (todo.length) {
    const n = todo.pop()!;
    if (n === 'facts') return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const src of sources) {
      if (!Object.hasOwn(src, n)) continue;
      for (const t of templates(src[n], [])) todo.push(...templateRootNames(t, helpers));
    }
  }
  return false;
}
