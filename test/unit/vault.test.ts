// The vault format (src/vault/cipher.ts), the order passwords are tried in, password sources, and
// vaults opened by the YAML loader (whole files and !vault values, registered as secrets).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InputError, InputErrors } from '../../src/errors.js';
import { parseYaml } from '../../src/load/yaml.js';
import { holdsSecret } from '../../src/vars/secrets.js';
import { decryptBody, encryptVault, isVaultText, parseEnvelope, VaultFormatError } from '../../src/vault/cipher.js';
import { decryptWith, triedInOrder, unopenedVaults, useVaultSecrets, vaultDecryptions } from '../../src/vault/keyring.js';
import { loadVaultSecrets, readPasswordSource, splitVaultId, type VaultSecret } from '../../src/vault/passwords.js';
import { vaultBlock } from '../../src/cli/vault.js';

const pw = (s: string) => Buffer.from(s, 'utf8');
const secret = (id: string, p: string): VaultSecret => ({ id, password: pw(p), source: `test ${id}` });
const dir = mkdtempSync(join(tmpdir(), 'fabric-vault-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => useVaultSecrets([]));

const PLAINTEXTS = ['', 'a', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(32), 'ünïcødé ✓ 密码', 'line one\nline two\n\n', '\0binary\xff'];

describe('vault format', () => {
  it.each(PLAINTEXTS.map((p) => [JSON.stringify(p).slice(0, 30), p]))('round-trips %s, and only with its password', (_, plain) => {
    const text = encryptVault(pw(plain), pw('s3cret'));
    const env = parseEnvelope(text);
    expect(decryptBody(env.body, pw('s3cret'))!.toString('utf8')).toBe(plain);
    expect(decryptBody(env.body, pw('s3cres'))).toBeUndefined();
  });

  it('pads a whole block with 16 bytes of 16 (the ciphertext grows by one block)', () => {
    const body = parseEnvelope(encryptVault(pw('y'.repeat(16)), pw('p'))).body;
    const cipherHex = Buffer.from(body, 'hex').toString('latin1').split('\n')[2]!;
    expect(cipherHex.length / 2).toBe(32);
    const empty = Buffer.from(parseEnvelope(encryptVault(Buffer.alloc(0), pw('p'))).body, 'hex').toString('latin1').split('\n')[2]!;
    expect(empty.length / 2).toBe(16);
  });

  it('writes 1.1 without a label (or for "default"), 1.2 with one, in 80-column lines ending in a newline', () => {
    const v11 = encryptVault(pw('x'), pw('p'));
    const v11d = encryptVault(pw('x'), pw('p'), 'default');
    const v12 = encryptVault(pw('x'.repeat(200)), pw('p'), 'prod');
    expect(v11.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(v11d.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(v12.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(v12.endsWith('\n')).toBe(true);
    const body = v12.split('\n').slice(1, -1);
    expect(body.slice(0, -1).every((l) => l.length === 80)).toBe(true);
    expect(body.at(-1)!.length).toBeLessThanOrEqual(80);
    expect(parseEnvelope(v12).vaultId).toBe('prod');
    expect(parseEnvelope(v11).vaultId).toBe('default');
  });

  it('the same salt and password give the same text (the format is deterministic given the salt)', () => {
    const salt = Buffer.alloc(32, 7);
    expect(encryptVault(pw('v'), pw('p'), undefined, salt)).toBe(encryptVault(pw('v'), pw('p'), undefined, salt));
    expect(encryptVault(pw('v'), pw('p'))).not.toBe(encryptVault(pw('v'), pw('p')));
  });

  it('a tampered ciphertext fails the HMAC; malformed texts are format errors, not wrong passwords', () => {
    const text = encryptVault(pw('hello'), pw('p'));
    const env = parseEnvelope(text);
    const inner = Buffer.from(env.body, 'hex').toString('latin1').split('\n');
    const c = inner[2]!;
    inner[2] = (c[0] === '0' ? '1' : '0') + c.slice(1);
    expect(decryptBody(Buffer.from(inner.join('\n'), 'latin1').toString('hex'), pw('p'))).toBeUndefined();
    expect(() => parseEnvelope('$ANSIBLE_VAULT;1.0;AES\nabcd')).toThrow(VaultFormatError);
    expect(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES128\nabcd')).toThrow(/cipher AES128/);
    expect(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES256\n')).toThrow(/no body/);
    expect(() => decryptBody('zz', pw('p'))).toThrow(/not hexadecimal/);
    expect(() => decryptBody(Buffer.from('abcd').toString('hex'), pw('p'))).toThrow(/salt, HMAC and ciphertext/);
    expect(isVaultText(' $ANSIBLE_VAULT;1.1;AES256')).toBe(false);
  });

  it('accepts CRLF line ends and trailing spaces in the body', () => {
    const text = encryptVault(pw('crlf'), pw('p')).replace(/\n/g, '  \r\n');
    expect(decryptBody(parseEnvelope(text).body, pw('p'))!.toString()).toBe('crlf');
  });
});

describe('which password opens a vault', () => {
  const list = [secret('dev', 'd'), secret('default', 'x'), secret('prod', 'p')];
  it("tries the header's id first, then the others in the order given (as Ansible)", () => {
    expect(triedInOrder(list, 'prod').map((s) => s.id)).toEqual(['prod', 'dev', 'default']);
    expect(triedInOrder(list, 'default').map((s) => s.id)).toEqual(['default', 'dev', 'prod']);
    expect(triedInOrder(list, 'other').map((s) => s.id)).toEqual(['dev', 'default', 'prod']);
  });

  it('a label that does not match still opens the vault with the right password; a wrong one names the file and what was tried', () => {
    const text = encryptVault(pw('v'), pw('p'), 'staging');
    const r = decryptWith(text, list, 'f.yml');
    expect(r.secret.id).toBe('prod');
    expect(r.headerId).toBe('staging');
    expect(() => decryptWith(text, [secret('dev', 'no')], 'group_vars/all.yml')).toThrow(/decryption failed: wrong vault password for group_vars\/all\.yml/);
    try {
      decryptWith(text, [secret('dev', 'no')], 'g.yml');
    } catch (e) {
      expect((e as InputError).hint).toContain('dev (test dev)');
      expect((e as InputError).exitCode).toBe(5);
    }
  });
});

describe('password sources', () => {
  it('splits label@source as Ansible (no @: the default id); refuses ;', () => {
    expect(splitVaultId('prod@/x/pw')).toEqual({ id: 'prod', source: '/x/pw' });
    expect(splitVaultId('/x/pw')).toEqual({ id: 'default', source: '/x/pw' });
    expect(splitVaultId('a@b@c')).toEqual({ id: 'a', source: 'b@c' });
    expect(() => splitVaultId('a;b@c')).toThrow(/';' is not allowed/);
  });

  it('a file: its whole text with surrounding whitespace stripped (as Ansible); an empty one or a missing one is an error', () => {
    const f = join(dir, 'pwfile');
    writeFileSync(f, '  two words \n');
    expect(readPasswordSource(f, 'default', '--vault-password-file').password.toString()).toBe('two words');
    writeFileSync(f, 'first\nsecond\n');
    expect(readPasswordSource(f, 'default', '--vault-password-file').password.toString()).toBe('first\nsecond');
    writeFileSync(f, ' \n');
    expect(() => readPasswordSource(f, 'default', 'x')).toThrow(/empty password/);
    expect(() => readPasswordSource(join(dir, 'nope'), 'default', '--vault-password-file')).toThrow(/not found/);
  });

  it('an executable: its stdout, only line ends stripped; a failing one is an error; a -client script is asked for the id', () => {
    const s = join(dir, 'pw.sh');
    writeFileSync(s, "#!/bin/sh\nprintf ' spaced pw \\n'\n");
    chmodSync(s, 0o700);
    expect(readPasswordSource(s, 'default', 'x').password.toString()).toBe(' spaced pw ');
    writeFileSync(s, '#!/bin/sh\nexit 3\n');
    expect(() => readPasswordSource(s, 'default', 'x')).toThrow(/exited 3/);
    const c = join(dir, 'keys-client.sh');
    writeFileSync(c, '#!/bin/sh\n[ "$1" = --vault-id ] || exit 1\n[ "$2" = prod ] && { echo prodpw; exit 0; }\nexit 2\n');
    chmodSync(c, 0o700);
    expect(readPasswordSource(c, 'prod', 'x').password.toString()).toBe('prodpw');
    expect(() => readPasswordSource(c, 'dev', 'x')).toThrow(/knows no password for vault id 'dev'/);
  });

  it("orders --vault-id first, then the password files, then FABRIC_VAULT_PASSWORD_FILE; --ask-vault-pass without a terminal is exit 5", async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const e = join(dir, 'e');
    writeFileSync(a, 'A\n');
    writeFileSync(b, 'B\n');
    writeFileSync(e, 'E\n');
    const got = await loadVaultSecrets({ vaultPasswordFile: [a], vaultId: [`lab@${b}`] }, { env: { FABRIC_VAULT_PASSWORD_FILE: e } });
    expect(got.map((s) => `${s.id}=${s.password}`)).toEqual(['lab=B', 'default=A', 'default=E']);
    await expect(loadVaultSecrets({ askVaultPass: true }, { env: {} })).rejects.toThrow(/needs a terminal/);
    await expect(loadVaultSecrets({ vaultId: ['x@prompt'] }, { env: {} })).rejects.toBeInstanceOf(InputError);
  });
});

describe('vaults in YAML', () => {
  const inline = (name: string, value: string, p: string, id?: string) => vaultBlock(encryptVault(pw(value), pw(p), id), name);

  it('opens !vault values and whole files; their values become secrets', () => {
    useVaultSecrets([secret('default', 'pw')]);
    const text = `plain: visible\n${inline('token', 'tok-123456', 'pw')}\nnested:\n  ${inline('deep', 'deep-secret', 'pw').replace(/\n/g, '\n  ')}\n`;
    const yf = parseYaml('/x/vars.yml', text);
    expect(yf.value).toEqual({ plain: 'visible', token: 'tok-123456', nested: { deep: 'deep-secret' } });
    expect(holdsSecret('tok-123456')).toBe(true);
    expect(holdsSecret('visible')).toBe(false);
    expect(yf.keyPosAt(['nested', 'deep']).line).toBe(10); // positions are the file's, past the vault lines
    const whole = parseYaml('/x/whole.yml', encryptVault(pw('db_password: hunter2hunter\nport: 5432\n'), pw('pw')));
    expect(whole.value).toEqual({ db_password: 'hunter2hunter', port: 5432 });
    expect(whole.vaulted).toBe('open');
    expect(holdsSecret('hunter2hunter')).toBe(true);
  });

  it('without a password: exit 5 naming the file and line; check mode lists it instead', () => {
    const text = `a: 1\n${inline('token', 'tok-123456', 'pw')}\n`;
    let err: InputError | undefined;
    try {
      parseYaml('/x/v.yml', text);
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err!.located).toMatch(/^\/x\/v\.yml:2:\d+: the !vault value is vault-encrypted and no vault password was given/);
    useVaultSecrets([], 'note');
    expect(parseYaml('/x/v.yml', text).value).toMatchObject({ a: 1 });
    expect(parseYaml('/x/w.yml', encryptVault(pw('a: 1'), pw('pw'))).vaulted).toBe('shut');
    expect(unopenedVaults().map((v) => [v.pos.file, v.pos.line, v.whole])).toEqual([
      ['/x/v.yml', 2, false],
      ['/x/w.yml', 1, true],
    ]);
  });

  it('a wrong password is exit 5 at the value; !vault on a mapping is refused', () => {
    useVaultSecrets([secret('default', 'nope')]);
    expect(() => parseYaml('/x/v.yml', `a: 1\n${inline('t', 'v', 'pw')}\n`)).toThrow(/wrong vault password for the !vault value/);
    useVaultSecrets([secret('default', 'pw')]);
    expect(() => parseYaml('/x/v.yml', 'a: !vault {b: 1}\n')).toThrow(InputErrors);
  });

  it('decrypts each vault text once per run, however often its file is read', () => {
    useVaultSecrets([secret('default', 'pw')]);
    const text = `${inline('k', 'once-only', 'pw')}\n${inline('l', 'another-one', 'pw')}\n`;
    const before = vaultDecryptions();
    for (let i = 0; i < 5; i++) expect(parseYaml('/x/a.yml', text).value).toEqual({ k: 'once-only', l: 'another-one' });
    parseYaml('/x/b.yml', encryptVault(pw(text), pw('pw')));
    parseYaml('/x/b.yml', encryptVault(pw(text), pw('pw'))); // a new salt: a different vault text
    expect(vaultDecryptions() - before).toBe(2 + 2);
  });
});
