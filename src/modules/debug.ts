import { InputError } from '../errors.js';
import { defineModule, type ModuleResult } from './types.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

export default defineModule<DebugArgs>({
  name: 'debug',
  controllerOnly: true,
  freeForm: 'msg',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      msg: { description: 'What to print (templated like any argument).' },
      var: { type: 'string', minLength: 1, description: 'A variable name or expression to print.' },
      verbosity: { type: 'integer', minimum: 0, description: 'Print only at this -v level or above.' },
    },
  },
  validate(a) {
    if (a.msg !== undefined && a.var !== undefined) throw new InputError("debug: give either 'msg' or 'var', not both");
  },
  async run(a, ctx) {
    // Ansible: a debug above the run's -v level is skipped, and counted so in the recap.
    if (a.verbosity !== undefined && a.verbosity > ctx.verbosity) return { changed: false, skipped: true, msg: 'Verbosity threshold not met.' };
    const v: ModuleResult = { changed: false };
    if (a.var !== undefined) {
      let value: unknown;
      try {
        value = ctx.evaluate(a.var);
      } catch (e) {
        value = `VARIABLE IS NOT DEFINED! (${(e as Error).message})`;
      }
      return { ...v, [a.var]: value === undefined ? 'VARIABLE IS NOT DEFINED!' : value };
    }
    // ModuleResult.msg is text: structured values print as JSON, as Ansible shows them.
    const msg = a.msg === undefined ? 'Hello world!' : typeof a.msg === 'string' ? a.msg : JSON.stringify(a.msg, null, 2);
    return { ...v, msg };
  },
});
