import { InputError } from '../errors.js';
import { quote } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { defineModule } from './types.js';

/** The host answers: the text comes back from its shell (one round trip, or none when read ahead with the section). */
const answer = defineFact(
  (data: string) => `printf '%s' ${quote(data)}`,
  (r) => {
    if (r.rc !== 0) throw new Error(r.stderr.trim() || `exit ${r.rc}`);
    return r.stdout;
  },
);

/** ansible.builtin.ping: the host is reachable and runs commands; `data: crash` fails, as Ansible's does. */
export default defineModule<{ data?: string }, { pong: ReturnType<typeof answer> }>({
  name: 'ping',
  schema: { type: 'object', additionalProperties: false, properties: { data: { type: 'string', default: 'pong', description: "what comes back ('crash' makes the task fail)" } } },
  validate(a) {
    if (a.data === '') throw new InputError('ping: data must not be empty');
  },
  facts: (a) => ({ pong: answer(a.data ?? 'pong') }),
  async run(a, _ctx, facts) {
    if (a.data === 'crash') return { changed: false, failed: true, msg: 'boom: ping was asked to crash (data: crash)' };
    return { changed: false, ping: facts.pong };
  },
});
