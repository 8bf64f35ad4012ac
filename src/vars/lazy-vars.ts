import type { Vars } from '../modules/types.js';
import { renderDeep } from './template.js';

const templatedObjects = new WeakMap<object, boolean>();

/** Does a value hold a template anywhere inside? (cached per object: vars are shared across hosts) */
export function holdsTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (!v || typeof v !== 'object') return false;
  let r = templatedObjects.get(v);
  if (r === undefined) {
    r = Array.isArray(v) ? v.some(holdsTemplate) : Object.values(v).some(holdsTemplate);
    templatedObjects.set(v, r);
  }
  return r;
}

/**
 * Makes every variable whose value holds a template render when it is first read, with the same
 * variables, like Ansible's lazy templating: `motd: "hello {{ inventory_hostname }}"` reads as
 * "hello w1", and a variable no task reads is never rendered (so it cannot fail).
 */
export function lazyTemplatedVars(vars: Vars, skip: ReadonlySet<string>): Vars {
  const resolving = new Set<string>();
  for (const key of Object.keys(vars)) {
    if (skip.has(key)) continue;
    const raw = vars[key];
    if (!holdsTemplate(raw)) continue;
    let done = false;
    let value: unknown;
    Object.defineProperty(vars, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (done) return value;
        if (resolving.has(key)) throw new Error(`variable '${key}' refers to itself`);
        resolving.add(key);
        try {
          value = renderDeep(raw, vars);
          done = true;
          return value;
        } finally {
          resolving.delete(key);
        }
      },
    });
  }
  return vars;
}
