import { remoteFile } from './lib/remote-file.js';
import { defineModule } from './types.js';

/** ansible.builtin.slurp: a file's content, base64, registered (`r.content | b64decode`). */
export default defineModule<{ src?: string; path?: string }, { file: ReturnType<typeof remoteFile> }>({
  name: 'slurp',
  schema: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['src'] }, { required: ['path'] }],
    properties: { src: { type: 'string', minLength: 1 }, path: { type: 'string', minLength: 1, description: 'alias of src' } },
  },
  facts: (a) => ({ file: remoteFile((a.src ?? a.path)!) }),
  async run(a, _ctx, facts) {
    const source = (a.src ?? a.path)!;
    if (facts.file.kind !== 'file') return { changed: false, failed: true, msg: facts.file.msg };
    return { changed: false, content: facts.file.content.toString('base64'), encoding: 'base64', source };
  },
});
