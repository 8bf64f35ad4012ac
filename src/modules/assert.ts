import { truthy } from '../vars/values.js';
import { defineModule, type ModuleResult } from './types.js';

export interface AssertArgs {
  that: string | string[];
  fail_msg?: string;
  msg?: string;
  success_msg?: string;
  quiet?: boolean;
}

export default defineModule<AssertArgs>({
  name: 'assert',
  controllerOnly: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['that'],
    properties: {
      that: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }], description: 'Condition(s), all must be true.' },
      fail_msg: { type: 'string' },
      msg: { type: 'string', description: 'Alias of fail_msg.' },
      success_msg: { type: 'string' },
      quiet: { type: 'boolean', description: 'Leave the success message out.' },
    },
  },
  async run(a, ctx) {
    for (const cond of Array.isArray(a.that) ? a.that : [a.that]) {
      let v: unknown;
      try {
        v = ctx.evaluate(cond);
      } catch (e) {
        // An undefined variable or a bad expression fails the assertion, naming the condition.
        return { changed: false, failed: true, assertion: cond, msg: `The conditional check '${cond}' failed: ${(e as Error).message}` };
      }
      // Python truthiness, as Ansible: [] and {} fail an assertion.
      if (!truthy(v)) {
        const r: ModuleResult = { changed: false, failed: true, assertion: cond, evaluated_to: v, msg: a.fail_msg ?? a.msg ?? 'Assertion failed' };
        return r;
      }
    }
    return { changed: false, ...(a.quiet ? {} : { msg: a.success_msg ?? 'All assertions passed' }) };
  },
});
