import { globToRegExp } from '../inventory/patterns.js';
import { factsScript, parseFacts } from '../run/facts.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type Facts } from './types.js';

/** The same one-round-trip read gather_facts does. */
const hostFacts = defineFact(
  () => factsScript(),
  (r) => parseFacts(r.stdout),
);

/**
 * ansible.builtin.setup as a task: the host's facts, now (after a change, or in a play with
 * gather_facts: false), as `facts` for the tasks after it; `filter` keeps the keys its globs match.
 */
export default defineModule<{ filter?: string | string[]; gather_subset?: string | string[] }, { facts: ReturnType<typeof hostFacts> }>({
  name: 'setup',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      filter: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'globs of the fact names to keep' },
      gather_subset: { anyOf: [{ enum: ['all', 'min'] }, { type: 'array', items: { enum: ['all', 'min'] } }], description: "fabric's facts are one small set: 'all' and 'min' both read it" },
    },
  },
  defines: () => ['facts'],
  facts: () => ({ facts: hostFacts(undefined) }),
  async run(a, _ctx, { facts }) {
    const globs = (a.filter === undefined ? [] : Array.isArray(a.filter) ? a.filter : [a.filter]).map(globToRegExp);
    const kept = (globs.length ? Object.fromEntries(Object.entries(facts).filter(([k]) => globs.some((g) => g.test(k)))) : facts) as Facts;
    return { changed: false, ansible_facts: kept, facts: { facts: kept } };
  },
});
