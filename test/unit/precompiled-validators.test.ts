import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { allSchemas } from '../../src/load/schema-registry.js';
import { AJV_OPTIONS, PRECOMPILED_FILE, schemaKey } from '../../src/load/schema.js';

// The build (npm run build, run by npm test) compiles every schema ahead of time into dist/.
const require = createRequire(import.meta.url);
const precompiled = require(`../../dist/load/${PRECOMPILED_FILE}`) as Record<string, (v: unknown) => boolean>;

/** Values every schema must judge the same way, precompiled or not: good and bad ones. */
const samples: unknown[] = [
  {},
  [],
  null,
  'text',
  { name: 'x', hosts: 'all', tasks: [] },
  [{ hosts: 'all', tasks: [{ name: 't', debug: { msg: 'hi' } }] }],
  [{ hosts: 'all', taks: [] }],
  { path: '/etc/x', state: 'directory', mode: '0755' },
  { path: '/etc/x', state: 'sideways' },
  { dest: '/etc/x', content: 'a', mode: 644, owner: 'root' },
  { name: 'net.ipv4.ip_forward', value: '1', sysctl_file: '/etc/sysctl.d/x.conf' },
  { cmd: 'true', creates: '/x', chdir: 1 },
  { all: { hosts: { a: { fabric_port: 'twenty-two' } }, children: { g: { hosts: { b: null } } } } },
  { when: 'x', loop: [1, 2], register: 'r', notify: ['h'], tags: 'a' },
  { become: 'yes', ignore_errors: 3 },
];

describe('precompiled validators', () => {
  it('cover every schema fabric validates with, and agree with ajv compiling at run time', async () => {
    const ajv = new Ajv(AJV_OPTIONS);
    const schemas = Object.entries(await allSchemas());
    expect(schemas.length).toBeGreaterThan(20);
    for (const [name, schema] of schemas) {
      const pre = precompiled[schemaKey(schema)] as ((v: unknown) => boolean) & { errors?: unknown };
      expect(pre, `${name} is not precompiled: run npm run build`).toBeTypeOf('function');
      const live = ajv.compile(schema);
      for (const v of samples) {
        const ok = pre(v);
        expect(ok, `${name} on ${JSON.stringify(v)}`).toBe(live(v));
        if (!ok) expect(pre.errors, name).toEqual(live.errors);
      }
    }
  });
});
