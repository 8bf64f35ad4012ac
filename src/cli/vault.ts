/**
 * `fabric vault create|edit|view|encrypt|decrypt|encrypt_string|rekey`: ansible-vault's commands,
 * arguments and output, on the same files (src/vault/). Every write is atomic; errors exit 5
 * naming the file.
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { InputError } from '../errors.js';
import { displayPath } from '../load/yaml.js';
import { quote } from '../quote.js';
import { DEFAULT_VAULT_ID, encryptVault, isVaultText } from '../vault/cipher.js';
import { decryptWith } from '../vault/keyring.js';
import { loadVaultSecrets, readPasswordSource, type VaultPasswordFlags, type VaultSecret } from '../vault/passwords.js';
import { promptHidden } from '../vault/prompt.js';
import { writeFileAtomic } from '../vault/write.js';
import { addVaultOptions } from './run-flags.js';

interface VaultCommandFlags extends VaultPasswordFlags {
  output?: string;
  encryptVaultId?: string;
}

interface EncryptStringFlags extends VaultCommandFlags {
  name?: string[];
  stdinName?: string;
  prompt?: boolean;
  showInput?: boolean;
}

interface RekeyFlags extends VaultCommandFlags {
  newVaultPasswordFile?: string;
  newVaultId?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch (e) {
    throw new InputError(`cannot read stdin: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `-` is stdin, as for ansible-vault; a file is read through its symlink. */
function readInput(file: string): Buffer {
  if (file === '-') return readStdin();
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${displayPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The real file behind a symlink, so the write replaces the target, not the link (as ansible-vault does). */
const realPath = (file: string): string => (file === '-' || !existsSync(file) ? file : realpathSync(file));

function writeOutput(target: string, data: Buffer | string): void {
  if (target === '-') process.stdout.write(data);
  else writeFileAtomic(target, data);
}

/** The password to encrypt with: --encrypt-vault-id's, else the only one; several without a choice is an error, as in ansible-vault. */
function encryptSecret(secrets: VaultSecret[], encryptVaultId: string | undefined): VaultSecret {
  if (encryptVaultId !== undefined) {
    const s = secrets.find((x) => x.id === encryptVaultId);
    if (!s) throw new InputError(`--encrypt-vault-id ${encryptVaultId} matches none of the vault ids given (${secrets.map((x) => x.id).join(', ')})`);
    return s;
  }
  if (secrets.length > 1) throw new InputError(`the vault ids ${secrets.map((x) => x.id).join(', ')} can all encrypt: choose one with --encrypt-vault-id`);
  return secrets[0]!;
}

const secretsFor = (flags: VaultPasswordFlags, forNew: boolean, why: string) => loadVaultSecrets(flags, { forNew, autoPrompt: true, why: `fabric vault ${why}` });

function encryptText(plaintext: Buffer, secret: VaultSecret, file: string): string {
  if (isVaultText(plaintext.toString('latin1'))) throw new InputError(`${file} is already vault-encrypted`);
  return encryptVault(plaintext, secret.password, secret.id);
}

function decryptFile(file: string, secrets: VaultSecret[]) {
  const text = readInput(file).toString('utf8');
  const shown = file === '-' ? 'stdin' : displayPath(file);
  if (!isVaultText(text)) throw new InputError(`${shown} is not vault-encrypted`);
  return decryptWith(text, secrets, shown);
}

/** Runs $EDITOR (default vi) on the text in a 0600 file in a private 0700 dir, removed after; returns what was saved. */
function editInTempFile(text: Buffer, like: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-vault-'));
  const tmp = join(dir, `edit${extname(like)}`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    const editor = process.env.EDITOR || 'vi';
    // EDITOR is shell text by convention (`code --wait`); the file name is quoted.
    const r = spawnSync('sh', ['-c', `${editor} ${quote(tmp)}`], { stdio: 'inherit' });
    if (r.error || r.status !== 0) throw new InputError(`the editor '${editor}' ${r.error ? `could not run: ${r.error.message}` : `exited ${r.status ?? r.signal}`}; ${displayPath(like)} is unchanged`);
    return readFileSync(tmp);
  } finally {
    try {
      writeFileSync(tmp, Buffer.alloc(readFileSync(tmp).length)); // the plaintext does not linger in freed blocks
    } catch {
      // the editor removed it: nothing to overwrite
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function outputFor(files: string[], flags: VaultCommandFlags): void {
  if (flags.output !== undefined && files.length > 1) throw new InputError('--output takes one input file');
}

async function create(file: string, flags: VaultCommandFlags): Promise<void> {
  if (existsSync(file)) throw new InputError(`${displayPath(file)} exists: use 'fabric vault edit' to change it`);
  const secret = encryptSecret(await secretsFor(flags, true, 'create'), flags.encryptVaultId);
  const plaintext = editInTempFile(Buffer.alloc(0), file);
  if (dirname(file) && !existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, encryptVault(plaintext, secret.password, secret.id));
}

async function edit(files: string[], flags: VaultCommandFlags): Promise<void> {
  const secrets = await secretsFor(flags, false, 'edit');
  for (const f of files.map(realPath)) {
    const { plaintext, secret, headerId } = decryptFile(f, secrets);
    const edited = editInTempFile(plaintext, f);
    // Unchanged: the file is not rewritten. Changed: the same password and the header's vault id.
    if (!edited.equals(plaintext)) writeFileAtomic(f, encryptVault(edited, secret.password, headerId));
  }
}

async function view(files: string[], flags: VaultCommandFlags): Promise<void> {
  const secrets = await secretsFor(flags, false, 'view');
  for (const f of files) process.stdout.write(decryptFile(f, secrets).plaintext);
}

async function encrypt(files: string[], flags: VaultCommandFlags): Promise<void> {
  outputFor(files, flags);
  const secret = encryptSecret(await secretsFor(flags, true, 'encrypt'), flags.encryptVaultId);
  for (const f of files.length ? files.map(realPath) : ['-']) {
    const text = encryptText(readInput(f), secret, f === '-' ? 'stdin' : displayPath(f));
    writeOutput(flags.output ?? f, text);
  }
  if (process.stdout.isTTY) process.stderr.write('Encryption successful\n');
}

async function decrypt(files: string[], flags: VaultCommandFlags): Promise<void> {
  outputFor(files, flags);
  const secrets = await secretsFor(flags, false, 'decrypt');
  for (const f of files.length ? files.map(realPath) : ['-']) writeOutput(flags.output ?? f, decryptFile(f, secrets).plaintext);
  if (process.stdout.isTTY) process.stderr.write('Decryption successful\n');
}

/** ansible-vault's block: `NAME: !vault |`, then the vault text indented by 10 spaces. */
export function vaultBlock(vaultText: string, name?: string): string {
  const lines = vaultText.split('\n').filter((l) => l !== '');
  return [`${name ? `${name}: ` : ''}!vault |`, ...lines.map((l) => `${' '.repeat(10)}${l}`)].join('\n');
}

async function encryptString(values: string[], flags: EncryptStringFlags): Promise<void> {
  const args = values.filter((v) => v !== '-');
  const stdinAsked = values.includes('-') || flags.stdinName !== undefined;
  if (flags.prompt && stdinAsked) throw new InputError('--prompt cannot be used while reading the string from stdin');
  const fromStdin = stdinAsked || (values.length === 0 && !flags.prompt);
  const secret = encryptSecret(await secretsFor(flags, true, 'encrypt_string'), flags.encryptVaultId);
  const inputs: { text: string; from: string; name?: string }[] = [];
  if (flags.prompt) {
    const name = await promptLine('Variable name (enter for no name): ');
    const text = flags.showInput ? await promptLine('String to encrypt: ') : await promptHidden('String to encrypt (hidden): ', '--prompt');
    if (text === '') throw new InputError('the string from the prompt is empty: nothing encrypted');
    inputs.push({ text, from: 'the interactive prompt', name: name || undefined });
  } else if (fromStdin) {
    const text = readStdin().toString('utf8');
    if (text === '') throw new InputError('stdin was empty: nothing encrypted');
    inputs.push({ text, from: 'stdin', name: flags.stdinName });
  }
  const names = flags.name ?? [];
  if (names.length && args.length > names.length) {
    process.stderr.write(`The number of --name options do not match the number of args.\nThe last named variable will be "${names[names.length - 1]}". The rest will not have names.\n`);
  }
  args.forEach((text, i) => {
    if (text === '') throw new InputError('a string given on the command line is empty: nothing encrypted');
    inputs.push({ text, from: 'the command line args', name: names[i] });
  });
  const blocks = inputs.map((inp, i) => {
    if (inputs.length > 1) {
      process.stderr.write(inp.name ? `# The encrypted version of variable ("${inp.name}", the string #${i + 1} from ${inp.from}).\n` : `# The encrypted version of the string #${i + 1} from ${inp.from}.)\n`);
    }
    return vaultBlock(encryptVault(Buffer.from(inp.text, 'utf8'), secret.password, secret.id), inp.name);
  });
  // As ansible-vault: the blocks joined by newlines, no newline after the last (a terminal gets one).
  writeOutput(flags.output ?? '-', blocks.join('\n') + (flags.output === undefined && process.stdout.isTTY ? '\n' : ''));
  if (process.stdout.isTTY) process.stderr.write('Encryption successful\n');
}

function promptLine(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new InputError('--prompt needs a terminal, and stdin is not one');
  process.stderr.write(question);
  return new Promise((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.once('data', (d: string) => {
      process.stdin.pause();
      resolve(d.replace(/\r?\n$/, ''));
    });
    process.stdin.resume();
  });
}

async function rekey(files: string[], flags: RekeyFlags): Promise<void> {
  if (flags.newVaultPasswordFile !== undefined && flags.newVaultId !== undefined) throw new InputError('give --new-vault-password-file or --new-vault-id, not both');
  const secrets = await secretsFor(flags, false, 'rekey');
  let fresh: VaultSecret[];
  if (flags.newVaultPasswordFile !== undefined) fresh = [readPasswordSource(flags.newVaultPasswordFile, DEFAULT_VAULT_ID, '--new-vault-password-file')];
  else if (flags.newVaultId !== undefined) {
    fresh = await loadVaultSecrets({ vaultId: [flags.newVaultId] }, { forNew: true, env: {}, why: 'fabric vault rekey' });
  } else fresh = await loadVaultSecrets({ askVaultPass: true }, { forNew: true, env: {}, why: 'fabric vault rekey (the new password)' });
  const secret = encryptSecret(fresh, flags.encryptVaultId);
  for (const f of files.map(realPath)) {
    const { plaintext } = decryptFile(f, secrets);
    writeFileAtomic(f, encryptVault(plaintext, secret.password, secret.id));
  }
  process.stderr.write('Rekey successful\n');
}

export function registerVaultCommands(program: Command): void {
  const vault = program.command('vault').description("encrypt and decrypt Ansible Vault files and strings (ansible-vault's commands)");
  const sub = (name: string, description: string) => addVaultOptions(vault.command(name).description(description));
  const encryptId = '--encrypt-vault-id <id>';
  const encryptIdHelp = 'the vault id to encrypt with (needed when several are given)';
  const output = ['--output <file>', 'write here instead of in place; - for stdout'] as const;
  sub('create', 'create a new vault-encrypted file in $EDITOR')
    .argument('<file>')
    .option(encryptId, encryptIdHelp)
    .action((file: string, flags: VaultCommandFlags) => create(file, flags));
  sub('edit', 'edit vault-encrypted files in $EDITOR')
    .argument('<files...>')
    .option(encryptId, encryptIdHelp)
    .action((files: string[], flags: VaultCommandFlags) => edit(files, flags));
  sub('view', 'print the plaintext of vault-encrypted files')
    .argument('<files...>')
    .action((files: string[], flags: VaultCommandFlags) => view(files, flags));
  sub('encrypt', 'encrypt files in place (or stdin to stdout)')
    .argument('[files...]')
    .option(...output)
    .option(encryptId, encryptIdHelp)
    .action((files: string[], flags: VaultCommandFlags) => encrypt(files, flags));
  sub('decrypt', 'decrypt files in place (or stdin to stdout)')
    .argument('[files...]')
    .option(...output)
    .action((files: string[], flags: VaultCommandFlags) => decrypt(files, flags));
  sub('encrypt_string', 'print a string as a `NAME: !vault |` block for a YAML file')
    .argument('[strings...]', 'the strings (none, or -, reads stdin)')
    .option('-n, --name <name>', 'the variable name of the next string (repeatable)', collect)
    .option('--stdin-name <name>', 'the variable name of the string read from stdin')
    .option('-p, --prompt', 'ask for the string on the terminal')
    .option('--show-input', 'with --prompt: echo the string as it is typed')
    .option(...output)
    .option(encryptId, encryptIdHelp)
    .action((strings: string[], flags: EncryptStringFlags) => encryptString(strings, flags));
  sub('rekey', 'encrypt vault files again with a new password')
    .argument('<files...>')
    .option('--new-vault-password-file <file>', 'the new password, from a file or script')
    .option('--new-vault-id <label@source>', 'the new vault id and password source')
    .option(encryptId, encryptIdHelp)
    .action((files: string[], flags: RekeyFlags) => rekey(files, flags));
}
