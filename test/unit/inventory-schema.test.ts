import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/load/schema.js';
import { inventorySchema } from '../../src/inventory/schema.js';

describe('inventory JSON schema', () => {
  it('schemas/inventory.schema.json is the object the loader uses', () => {
    expect(JSON.parse(readFileSync('schemas/inventory.schema.json', 'utf8'))).toEqual(inventorySchema);
  });

  it('is a valid schema that editors can check names with', () => {
    const validate = compileSchema(inventorySchema);
    expect(validate({ all: { hosts: { 'cp-1.lab': { fabric_port: 22 }, 'fe80::1': null }, children: { k8s: null } } })).toBe(true);
    expect(validate({ all: { hosts: { 'bad host': null } } })).toBe(false);
    expect(validate({ 'bad-group': null })).toBe(false);
    expect(validate({ all: { vars: { fabric_connection: 'telnet' } } })).toBe(false);
  });
});
