/**
 * JSON schema of a fabric inventory file (Ansible's YAML inventory shape). schemas/inventory.schema.json
 * holds the same object for editors (yaml-language-server); a unit test keeps the two equal.
 */

/** Connection variables fabric reads; typed wherever vars appear (inline, group_vars, host_vars). */
const connectionVars = {
  fabric_host: { type: 'string', minLength: 1, description: 'Address to connect to (default: the inventory name).' },
  fabric_port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port (default 22).' },
  fabric_user: { type: 'string', minLength: 1, description: 'SSH user.' },
  fabric_ssh_key: { type: 'string', minLength: 1, description: 'Path of the private key file.' },
  fabric_known_hosts: { type: 'string', minLength: 1, description: 'Path of the known_hosts file to check host keys against.' },
  fabric_connection: { enum: ['ssh', 'local'], description: 'How to reach the host.' },
  fabric_become: { type: 'boolean', description: 'Run tasks as another user via sudo.' },
  fabric_become_user: { type: 'string', minLength: 1, description: 'User to become (default root).' },
  fabric_ssh_persist: {
    type: 'number',
    minimum: 0,
    description: 'Seconds the connection holder keeps the SSH connection open after a run, like ControlPersist (default 60; 0: close with the run).',
  },
  fabric_proxy_command: {
    type: 'array',
    minItems: 1,
    items: { type: 'string' },
    description: 'argv of a local command whose stdin/stdout is the TCP stream; %h and %p are replaced.',
  },
} as const;

export const HOST_NAME_PATTERN = '^[A-Za-z0-9_.-]+$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$';
export const GROUP_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const inventorySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://fabric.invalid/schemas/inventory.schema.json',
  title: 'fabric inventory',
  description: "Ansible's YAML inventory: `all:` with hosts, vars and children; other top-level keys are groups.",
  type: ['object', 'null'],
  propertyNames: { pattern: GROUP_NAME_PATTERN },
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    group: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        hosts: {
          type: ['object', 'null'],
          description: 'Hosts of this group: name → host vars (or empty).',
          propertyNames: { pattern: HOST_NAME_PATTERN },
          additionalProperties: { $ref: '#/definitions/vars' },
        },
        vars: { $ref: '#/definitions/vars' },
        children: {
          type: ['object', 'null'],
          description: 'Child groups: name → group.',
          propertyNames: { pattern: GROUP_NAME_PATTERN },
          additionalProperties: { $ref: '#/definitions/group' },
        },
      },
    },
    vars: {
      type: ['object', 'null'],
      properties: connectionVars,
      additionalProperties: true,
    },
  },
} as const;

/** Schema for one group_vars/host_vars file: a vars mapping. */
export const varsFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: ['object', 'null'],
  properties: connectionVars,
  additionalProperties: true,
} as const;

/** Ajv's messages for propertyNames are unreadable; names are checked in code with a clear message instead. */
function withoutPropertyNames(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutPropertyNames);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'propertyNames')
        .map(([k, x]) => [k, withoutPropertyNames(x)]),
    );
  }
  return v;
}

export const inventoryValidationSchema = withoutPropertyNames(inventorySchema) as object;
