import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { canonicalModuleName, loadModule, moduleNames } from '../../src/modules/index.js';

it('the registry lists every module file in src/modules, under its file name', async () => {
  const files = readdirSync(new URL('../../src/modules/', import.meta.url))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts')
    .map((f) => f.slice(0, -3))
    .sort();
  expect(moduleNames()).toEqual(files);
  for (const name of files) expect((await loadModule(name)).name).toBe(name);
  expect(canonicalModuleName('ansible.builtin.copy')).toBe('copy');
  expect(canonicalModuleName('ansible.posix.sysctl')).toBe('sysctl');
  expect(canonicalModuleName('ansible.builtin.systemd')).toBe('systemd_service'); // an alias, not a file
  expect(canonicalModuleName('copyy')).toBeUndefined();
  await expect(loadModule('copyy')).rejects.toThrow("no module named 'copyy'");
});
