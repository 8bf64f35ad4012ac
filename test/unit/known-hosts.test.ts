import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { knownHostsName, knownKeys } from '../../src/connection/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('reads plain, hashed, port-qualified, wildcard and @revoked entries like OpenSSH', async () => {
  const salt = Buffer.from('0123456789abcdef0123');
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.7').digest('base64')}`;
  const file = join(dir, 'known_hosts');
  writeFileSync(
    file,
    [
      '# comment',
      'web1,10.0.0.5 ssh-ed25519 AAAAplain',
      `${hashed} ssh-ed25519 AAAAhashed`,
      '[10.0.0.5]:2222 ssh-ed25519 AAAAport',
      '*.lab,!bad.lab ssh-rsa AAAAwild',
      '@revoked * ssh-ed25519 AAAAstolen',
      '@cert-authority *.lab ssh-ed25519 AAAAca',
    ].join('\n'),
  );
  expect(await knownKeys(file, knownHostsName('10.0.0.5', 22))).toEqual([
    { type: 'ssh-ed25519', blob: 'AAAAplain' },
    { type: 'ssh-ed25519', blob: 'AAAAstolen', revoked: true },
  ]);
  expect((await knownKeys(file, '10.0.0.7')).map((k) => k.blob)).toEqual(['AAAAhashed', 'AAAAstolen']);
  expect((await knownKeys(file, knownHostsName('10.0.0.5', 2222))).map((k) => k.blob)).toEqual(['AAAAport', 'AAAAstolen']);
  expect((await knownKeys(file, 'w1.lab')).map((k) => k.blob)).toEqual(['AAAAwild', 'AAAAstolen']);
  expect((await knownKeys(file, 'bad.lab')).map((k) => k.blob)).toEqual(['AAAAstolen']);
  expect(await knownKeys(join(dir, 'missing'), 'x')).toEqual([]);
});
