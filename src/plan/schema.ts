/** JSON schemas for plays and task keywords (module arguments have their own, per module). */

const stringList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = { anyOf: [{ type: ['string', 'boolean', 'number'] }, { type: 'array', items: { type: ['string', 'boolean', 'number'] } }] };
const boolOrTemplate = { type: ['boolean', 'string'] };
/** Variables exported to the module's commands: names as the shell takes them, scalar values (or templates). */
const environment = {
  type: 'object',
  propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  additionalProperties: { type: ['string', 'number', 'boolean'] },
};
/** Seconds a task may take on its host before it fails. */
const timeout = { type: 'integer', minimum: 1 };
/** A serial batch size: a host count, or a percentage of the play's hosts ('30%'). */
const serialSize = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+%?$' }] };

export const TASK_KEYWORDS = {
  name: { type: 'string' },
  when: condition,
  loop: { type: ['array', 'string'] },
  loop_control: {
    type: 'object',
    additionalProperties: false,
    properties: {
      loop_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      index_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      label: { type: 'string' },
      pause: { type: 'number', minimum: 0 },
      extended: { type: 'boolean' },
    },
  },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  notify: stringList,
  listen: stringList,
  tags: stringList,
  become: boolOrTemplate,
  become_user: { type: 'string' },
  changed_when: condition,
  failed_when: condition,
  until: condition,
  retries: { type: 'integer', minimum: 0 },
  delay: { type: 'number', minimum: 0 },
  ignore_errors: boolOrTemplate,
  ignore_unreachable: { type: 'boolean' },
  throttle: { type: 'integer', minimum: 1 },
  /** Module arguments given apart (`command: x` + `args: {chdir: /y}`); the module's own win. */
  args: { type: 'object' },
  any_errors_fatal: { type: 'boolean' },
  environment,
  timeout,
  check_mode: { type: 'boolean' },
  delegate_to: { type: 'string' },
  run_once: { type: 'boolean' },
  no_log: { type: 'boolean' },
  vars: { type: 'object' },
  block: { type: 'array' },
  rescue: { type: 'array' },
  always: { type: 'array' },
  import_tasks: { type: 'string' },
  include_tasks: { type: 'string' },
  include_role: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string' }, tasks_from: { type: 'string' } },
  },
  import_role: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string' }, tasks_from: { type: 'string' } },
  },
} as const;

export const TASK_KEYWORD_NAMES = new Set(Object.keys(TASK_KEYWORDS));

const taskList = { type: 'array', items: { type: 'object' } };

export const PLAY_SCHEMA = {
  type: 'object',
  required: ['hosts'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    hosts: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    vars: { type: 'object' },
    vars_files: { type: 'array', items: { type: 'string' } },
    gather_facts: { type: 'boolean' },
    become: { type: 'boolean' },
    become_user: { type: 'string' },
    serial: { anyOf: [serialSize, { type: 'array', minItems: 1, items: serialSize }], expected: "a host count (1 or more), a percentage such as '30%', or a list of them" },
    max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
    any_errors_fatal: { type: 'boolean' },
    force_handlers: { type: 'boolean' },
    ignore_unreachable: { type: 'boolean' },
    throttle: { type: 'integer', minimum: 1 },
    environment,
    timeout,
    tags: stringList,
    pre_tasks: taskList,
    roles: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string' },
          {
            type: 'object',
            required: ['role'],
            additionalProperties: false,
            properties: { role: { type: 'string' }, vars: { type: 'object' }, tags: stringList, when: condition, become: { type: 'boolean' }, any_errors_fatal: { type: 'boolean' }, environment, timeout },
          },
        ],
      },
    },
    tasks: taskList,
    post_tasks: taskList,
    handlers: taskList,
  },
} as const;

/** `- import_playbook: other.yml`, with the keywords Ansible takes on it. */
export const IMPORT_PLAYBOOK_SCHEMA = {
  type: 'object',
  required: ['import_playbook'],
  additionalProperties: false,
  properties: { import_playbook: { type: 'string', minLength: 1 }, name: { type: 'string' }, tags: stringList, vars: { type: 'object' }, when: condition },
} as const;

export const PLAYBOOK_SCHEMA = { type: 'array', items: { if: { type: 'object', required: ['import_playbook'] }, then: IMPORT_PLAYBOOK_SCHEMA, else: PLAY_SCHEMA } } as const;
