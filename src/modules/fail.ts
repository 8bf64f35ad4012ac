import { defineModule } from './types.js';

export default defineModule<{ msg?: string }>({
  name: 'fail',
  controllerOnly: true,
  freeForm: 'msg',
  schema: { type: 'object', additionalProperties: false, properties: { msg: { type: 'string' } } },
  async run(a) {
    return { changed: false, failed: true, msg: a.msg ?? 'Failed as requested from task' };
  },
});
