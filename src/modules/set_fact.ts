import { InputError } from '../errors.js';
import { defineModule, type Vars } from './types.js';

export default defineModule<Vars>({
  name: 'set_fact',
  controllerOnly: true,
  schema: { type: 'object', additionalProperties: true, minProperties: 1 },
  validate(a) {
    for (const k of Object.keys(a))
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new InputError(`set_fact: '${k}' is not a valid variable name`);
  },
  defines: (a) => Object.keys(a).filter((k) => k !== 'cacheable'),
  async run(a) {
    const { cacheable: _ignored, ...facts } = a; // facts live for this run only: nothing to cache
    return { changed: false, facts };
  },
});
