import { defineModule } from './types.js';

/** What `meta:` asks of the run; the executor acts on it once the task has run (src/run/meta.ts). */
export const META_ACTIONS = ['noop', 'flush_handlers', 'end_host', 'end_batch', 'end_play', 'clear_facts', 'clear_host_errors', 'reset_connection'] as const;
export type MetaAction = (typeof META_ACTIONS)[number];

const WHAT: Record<MetaAction, string> = {
  noop: 'nothing to do',
  flush_handlers: 'notified handlers run now',
  end_host: 'the play ends for this host',
  end_batch: 'the batch ends',
  end_play: 'the play ends for every host',
  clear_facts: 'gathered facts are forgotten',
  clear_host_errors: 'failed hosts of the play go on',
  reset_connection: 'the connection is closed; the next task opens a new one',
};

export interface MetaArgs {
  free_form: MetaAction;
}

export default defineModule<MetaArgs>({
  name: 'meta',
  controllerOnly: true,
  freeForm: 'free_form',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['free_form'],
    properties: {
      free_form: { enum: [...META_ACTIONS], description: 'The action: ' + META_ACTIONS.join(', ') + ". (refresh_inventory and end_role are Ansible's too; fabric's plan is static, so they are refused.)" },
    },
  },
  async run(a) {
    return { changed: false, msg: `${a.free_form}: ${WHAT[a.free_form]}`, meta: a.free_form };
  },
});
