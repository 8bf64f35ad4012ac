import { defineModule } from './types.js';

/** ansible.builtin.raw: the text as written, through the host's shell; changed, as Ansible reports it. */
export default defineModule<{ free_form: string }>({
  name: 'raw',
  freeForm: 'free_form',
  arbitraryCommand: true,
  schema: { type: 'object', additionalProperties: false, required: ['free_form'], properties: { free_form: { type: 'string', minLength: 1, description: 'the command line' } } },
  async run(a, ctx) {
    const r = await ctx.exec(a.free_form);
    return { changed: true, rc: r.rc, stdout: r.stdout, stderr: r.stderr, stdout_lines: r.stdout.split('\n').filter((l, i, all) => i < all.length - 1 || l !== ''), failed: r.rc !== 0, ...(r.rc !== 0 ? { msg: `non-zero return code ${r.rc}` } : {}) };
  },
});
