import { expect, it } from 'vitest';
import stat from '../../src/modules/stat.js';
import { argErrors } from '../support/module-harness.js';

it("stat refuses get_mime/get_attributes true (it reads neither) and takes false, as playbooks write it", () => {
  expect(argErrors(stat, { path: '/etc', get_mime: false, get_attributes: false, get_checksum: false })).toEqual([]);
  expect(argErrors(stat, { path: '/etc', get_mime: true }).join('\n')).toMatch(/get_mime/);
  expect(argErrors(stat, { path: '/etc', get_attributes: true }).join('\n')).toMatch(/get_attributes/);
});
