import { expect, it } from 'vitest';
import { canonicalModuleName, loadModule, moduleNames } from '../../src/modules/index.js';

it('the registry is the modules folder, also when tests run the TypeScript sources', async () => {
  const names = moduleNames();
  for (const m of ['command', 'shell', 'copy', 'template', 'file', 'sysctl', 'apt', 'package', 'route', 'service']) expect(names).toContain(m);
  expect(names).not.toContain('index');
  expect(names).not.toContain('types');
  expect(canonicalModuleName('ansible.builtin.copy')).toBe('copy');
  expect(canonicalModuleName('ansible.posix.sysctl')).toBe('sysctl');
  expect(canonicalModuleName('copyy')).toBeUndefined();
  expect((await loadModule('package')).name).toBe('package');
});
