/**
 * Ansible Vault's format, 1.1 and 1.2, with AES256 (the only cipher Ansible still writes or reads):
 * PBKDF2-HMAC-SHA256 (10000 rounds, 32-byte salt) gives 80 bytes: the AES-256 key, the HMAC key
 * and the CTR counter block. The plaintext is PKCS7-padded, encrypted with AES-256-CTR, and the
 * ciphertext signed with HMAC-SHA256. The body is hex("salt hex\nhmac hex\nciphertext hex"),
 * in 80-column lines after a `$ANSIBLE_VAULT;1.1;AES256` (or `;1.2;AES256;label`) header.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
/** Ansible's name for the id of a password given without a label. */
export const DEFAULT_VAULT_ID = 'default';

const ITERATIONS = 10000;
const KEY_LEN = 32;
const IV_LEN = 16;
const BLOCK = 16;
const WIDTH = 80;

/** The text is vault data, not something that merely mentions it (Ansible's is_encrypted: the first bytes). */
export function isVaultText(text: string): boolean {
  return text.startsWith(VAULT_HEADER);
}

/** A vault text that is not well-formed; its message says what is wrong, without the file (callers add it). */
export class VaultFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultFormatError';
  }
}

export interface VaultEnvelope {
  version: '1.1' | '1.2';
  /** The 1.2 header's label; 'default' for 1.1, as Ansible reads it. */
  vaultId: string;
  /** The hex body, its line breaks removed. */
  body: string;
}

export function parseEnvelope(text: string): VaultEnvelope {
  const lines = text.split(/\r?\n/);
  const header = lines[0]!.trim().split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new VaultFormatError(`not a vault header: '${lines[0]!.slice(0, 40)}'`);
  const [, version, cipher, label] = header;
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format version ${version} is not supported (1.1 and 1.2 are)`);
  if (cipher !== 'AES256') throw new VaultFormatError(`vault cipher ${cipher} is not supported (AES256 is)`);
  const body = lines.slice(1).map((l) => l.trim()).join('');
  if (!body) throw new VaultFormatError('the vault has a header but no body');
  return { version, vaultId: header.length >= 4 && label ? label : DEFAULT_VAULT_ID, body };
}

function unhex(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new VaultFormatError(`the vault's ${what} is not hexadecimal`);
  return Buffer.from(hex, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LEN + IV_LEN, 'sha256');
  return { aesKey: k.subarray(0, KEY_LEN), hmacKey: k.subarray(KEY_LEN, 2 * KEY_LEN), iv: k.subarray(2 * KEY_LEN) };
}

function pad(data: Buffer): Buffer {
  const n = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function unpad(data: Buffer): Buffer {
  const n = data.length ? data[data.length - 1]! : 0;
  if (data.length % BLOCK !== 0 || n < 1 || n > BLOCK || !data.subarray(data.length - n).every((b) => b === n)) {
    throw new VaultFormatError('the decrypted data has no valid padding');
  }
  return data.subarray(0, data.length - n);
}

/** The vault text for plaintext: 1.1 without a label (or 'default'), 1.2 with one, as ansible-vault writes it. */
export function encryptVault(plaintext: Buffer, password: Buffer, vaultId?: string, salt: Buffer = randomBytes(32)): string {
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const c = createCipheriv('aes-256-ctr', aesKey, iv);
  const ciphertext = Buffer.concat([c.update(pad(plaintext)), c.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const inner = `${salt.toString('hex')}\n${hmac.toString('hex')}\n${ciphertext.toString('hex')}`;
  const body = Buffer.from(inner, 'ascii').toString('hex');
  const labelled = vaultId !== undefined && vaultId !== '' && vaultId !== DEFAULT_VAULT_ID;
  const header = labelled ? `${VAULT_HEADER};1.2;AES256;${vaultId}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += WIDTH) lines.push(body.slice(i, i + WIDTH));
  return lines.join('\n') + '\n';
}

/**
 * The plaintext, or undefined when this password does not open the body (its HMAC differs: the
 * wrong password, or tampered data). The HMAC is checked, in constant time, before decrypting.
 */
export function decryptBody(body: string, password: Buffer): Buffer | undefined {
  const inner = unhex(body, 'body').toString('latin1');
  const parts = inner.split('\n');
  if (parts.length < 3) throw new VaultFormatError('the vault body does not hold salt, HMAC and ciphertext');
  const [saltHex, hmacHex] = parts;
  const salt = unhex(saltHex!, 'salt');
  const expected = unhex(hmacHex!, 'HMAC');
  const ciphertext = unhex(parts.slice(2).join('\n'), 'ciphertext');
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const actual = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  const d = createDecipheriv('aes-256-ctr', aesKey, iv);
  return unpad(Buffer.concat([d.update(ciphertext), d.final()]));
}
