// Ansible Vault compatibility, both directions, against Debian's ansible-vault and Ansible's own
// YAML loader; fabric vault's commands; password sources; vaulted vars in check and play.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { FABRIC_BIN, REPO, runFabric, type FabricRun } from '../support/fabric.js';

const ANSIBLE_VAULT = '/usr/bin/ansible-vault';
const haveAnsible = existsSync(ANSIBLE_VAULT);
let dir: string;
const p = (name: string) => join(dir, name);
const explain = (r: FabricRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

function ansibleVault(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(ANSIBLE_VAULT, args, { input, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Ansible's own DataLoader reads a YAML file with these vault ids (label, password): !vault values decrypted. */
function ansibleLoad(file: string, ids: [string, string][]): unknown {
  const py = `
import sys, json
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
l = DataLoader()
l.set_vault_secrets([(i, VaultSecret(p.encode())) for i, p in json.loads(sys.argv[2])])
print(json.dumps(l.load_from_file(sys.argv[1]), default=str))
`;
  // Debian's python, the one its ansible is installed for (not a pyenv shim on PATH).
  const r = spawnSync('/usr/bin/python3', ['-c', py, file, JSON.stringify(ids)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const PASSWORDS = ['simple', 'pässwörd ✓', 'with spaces inside', '16-bytes-exactly'];
const PLAINTEXTS: Record<string, string> = {
  empty: '',
  unicode: 'ünïcødé ✓ 密码\n',
  multiline: 'line one\nline two\n\nlast: "quoted"\n',
  block16: '0123456789abcdef',
  block32: '0123456789abcdef0123456789ABCDEF',
  noNewline: 'key: value',
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-vault-'));
  PASSWORDS.forEach((pw, i) => writeFileSync(p(`pw${i}`), `${pw}\n`));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveAnsible)('files: ansible-vault and fabric open each other\'s', () => {
  it.each(PASSWORDS.map((_, i) => [i]))('password #%i, 1.1 and 1.2 with a vault id, every plaintext', async (i) => {
    const pwFile = p(`pw${i}`);
    for (const [mode, idArgs] of [['11', ['--vault-password-file', pwFile]], ['12', ['--vault-id', `lbl${i}@${pwFile}`]]] as const) {
      const byAnsible = Object.keys(PLAINTEXTS).map((k) => p(`a-${i}-${mode}-${k}`));
      const byFabric = Object.keys(PLAINTEXTS).map((k) => p(`f-${i}-${mode}-${k}`));
      Object.values(PLAINTEXTS).forEach((t, j) => {
        writeFileSync(byAnsible[j]!, t);
        writeFileSync(byFabric[j]!, t);
      });
      expect(ansibleVault(['encrypt', ...idArgs, ...byAnsible]).code).toBe(0);
      const enc = await runFabric(['vault', 'encrypt', ...idArgs, ...byFabric]);
      expect(enc.code, explain(enc)).toBe(0);
      const header = mode === '11' ? '$ANSIBLE_VAULT;1.1;AES256' : `$ANSIBLE_VAULT;1.2;AES256;lbl${i}`;
      for (const f of [...byAnsible, ...byFabric]) expect(readFileSync(f, 'utf8').split('\n')[0]).toBe(header);
      // Each opens the other's, byte for byte.
      const dec = await runFabric(['vault', 'decrypt', ...idArgs, ...byAnsible]);
      expect(dec.code, explain(dec)).toBe(0);
      expect(ansibleVault(['decrypt', ...idArgs, ...byFabric]).code).toBe(0);
      Object.values(PLAINTEXTS).forEach((t, j) => {
        expect(readFileSync(byAnsible[j]!, 'utf8')).toBe(t);
        expect(readFileSync(byFabric[j]!, 'utf8')).toBe(t);
      });
    }
  });

  it('a two-line password file means what it means to ansible-vault (the whole text, stripped)', async () => {
    writeFileSync(p('pw2lines'), 'first\nsecond\n');
    writeFileSync(p('twoline'), 'data\n');
    expect(ansibleVault(['encrypt', '--vault-password-file', p('pw2lines'), p('twoline')]).code).toBe(0);
    const r = await runFabric(['vault', 'view', '--vault-password-file', p('pw2lines'), p('twoline')]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toBe('data\n');
  });
});

describe.skipIf(!haveAnsible)('encrypt_string', () => {
  it('prints the block exactly as ansible-vault does: Ansible loads fabric\'s, fabric loads Ansible\'s', async () => {
    const fab = await runFabric(['vault', 'encrypt_string', '--vault-password-file', p('pw1'), '-n', 'db_password', 'pässwörd\nwith a second line']);
    expect(fab.code, explain(fab)).toBe(0);
    const ans = ansibleVault(['encrypt_string', '--vault-password-file', p('pw1'), '-n', 'db_password', 'pässwörd\nwith a second line']);
    const shape = (s: string) => s.replace(/[0-9a-f]{80}|[0-9a-f]+$/gm, 'HEX');
    expect(shape(fab.stdout)).toBe(shape(ans.stdout));
    expect(fab.stdout.startsWith('db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          ')).toBe(true);
    expect(fab.stdout.endsWith('\n')).toBe(false);
    writeFileSync(p('fab-inline.yml'), `plain: 1\n${fab.stdout}\n`);
    expect(ansibleLoad(p('fab-inline.yml'), [['default', PASSWORDS[1]!]])).toEqual({ plain: 1, db_password: 'pässwörd\nwith a second line' });

    const stdin = await runFabric(['vault', 'encrypt_string', '--vault-id', `prod@${p('pw0')}`, '--stdin-name', 'token'], { input: 'from-stdin' });
    expect(stdin.code, explain(stdin)).toBe(0);
    expect(stdin.stdout.split('\n')[1]!.trim()).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    writeFileSync(p('fab-stdin.yml'), `${stdin.stdout}\n`);
    expect(ansibleLoad(p('fab-stdin.yml'), [['prod', PASSWORDS[0]!]])).toEqual({ token: 'from-stdin' });
  });

  it('several strings: the names in order, the comments on stderr as ansible-vault writes them', async () => {
    const r = await runFabric(['vault', 'encrypt_string', '--vault-password-file', p('pw0'), '-n', 'a', 'one', 'two']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/^a: !vault \|\n/);
    expect(r.stdout).toMatch(/\n!vault \|\n/);
    expect(r.stderr).toContain('# The encrypted version of variable ("a", the string #1 from the command line args).');
    expect(r.stderr).toContain('# The encrypted version of the string #2 from the command line args.)');
    const empty = await runFabric(['vault', 'encrypt_string', '--vault-password-file', p('pw0'), '']);
    expect(empty.code).toBe(5);
  });
});

describe('fabric vault commands', () => {
  it('view, rekey (to a new vault id; the mode kept), wrong password names the file', async () => {
    const f = p('rekey.yml');
    writeFileSync(f, 'secret: one\n');
    chmodSync(f, 0o640);
    expect((await runFabric(['vault', 'encrypt', '--vault-password-file', p('pw0'), f])).code).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o640);
    const rk = await runFabric(['vault', 'rekey', '--vault-password-file', p('pw0'), '--new-vault-id', `next@${p('pw3')}`, f]);
    expect(rk.code, explain(rk)).toBe(0);
    expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;next');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    const old = await runFabric(['vault', 'view', '--vault-password-file', p('pw0'), f]);
    expect(old.code).toBe(5);
    expect(old.stderr).toMatch(/decryption failed: wrong vault password for .*rekey\.yml/);
    const v = await runFabric(['vault', 'view', '--vault-id', `next@${p('pw3')}`, f]);
    expect(v.stdout).toBe('secret: one\n');
    if (haveAnsible) expect(ansibleVault(['view', '--vault-id', `next@${p('pw3')}`, f]).stdout).toBe('secret: one\n');
    // No temp file is left beside it.
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('encrypt/decrypt --output (and - for stdout), refusals with exit 5', async () => {
    writeFileSync(p('plain.txt'), 'to stdout\n');
    const out = await runFabric(['vault', 'encrypt', '--vault-password-file', p('pw0'), '--output', '-', p('plain.txt')]);
    expect(out.stdout.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(readFileSync(p('plain.txt'), 'utf8')).toBe('to stdout\n');
    writeFileSync(p('enc.txt'), out.stdout);
    const dec = await runFabric(['vault', 'decrypt', '--vault-password-file', p('pw0'), '--output', p('dec.txt'), p('enc.txt')]);
    expect(dec.code, explain(dec)).toBe(0);
    expect(readFileSync(p('dec.txt'), 'utf8')).toBe('to stdout\n');
    expect(statSync(p('dec.txt')).mode & 0o777).toBe(0o600);
    const twice = await runFabric(['vault', 'encrypt', '--vault-password-file', p('pw0'), p('enc.txt')]);
    expect(twice.code).toBe(5);
    expect(twice.stderr).toContain('enc.txt is already vault-encrypted');
    const notVault = await runFabric(['vault', 'decrypt', '--vault-password-file', p('pw0'), p('plain.txt')]);
    expect(notVault.code).toBe(5);
    expect(notVault.stderr).toContain('plain.txt is not vault-encrypted');
    const noPw = await runFabric(['vault', 'view', p('enc.txt')], { env: { FABRIC_VAULT_PASSWORD_FILE: '' } });
    expect(noPw.code).toBe(5);
    expect(noPw.stderr).toMatch(/needs a terminal/);
    const two = await runFabric(['vault', 'encrypt', '--vault-id', `a@${p('pw0')}`, '--vault-id', `b@${p('pw1')}`, p('plain.txt')]);
    expect(two.code).toBe(5);
    expect(two.stderr).toContain('--encrypt-vault-id');
    const chosen = await runFabric(['vault', 'encrypt', '--vault-id', `a@${p('pw0')}`, '--vault-id', `b@${p('pw1')}`, '--encrypt-vault-id', 'b', '--output', '-', p('plain.txt')]);
    expect(chosen.stdout.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;b');
  });

  it('create and edit run $EDITOR on a private 0600 temp file, removed after; an unchanged edit does not rewrite', async () => {
    const log = p('editor.log');
    const editor = p('editor.sh');
    // The editor records the temp file's mode and its dir's, then appends a line.
    writeFileSync(editor, `#!/bin/sh\nstat -c '%a %n' "$1" "$(dirname "$1")" >> ${log}\nprintf 'added: %s\\n' "$EDIT_VALUE" >> "$1"\n`);
    chmodSync(editor, 0o755);
    const f = p('created.yml');
    const c = await runFabric(['vault', 'create', '--vault-password-file', p('pw2'), f], { env: { EDITOR: editor, EDIT_VALUE: 'first' } });
    expect(c.code, explain(c)).toBe(0);
    expect(readFileSync(f, 'utf8').startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    const e = await runFabric(['vault', 'edit', '--vault-password-file', p('pw2'), f], { env: { EDITOR: editor, EDIT_VALUE: 'second' } });
    expect(e.code, explain(e)).toBe(0);
    const v = await runFabric(['vault', 'view', '--vault-password-file', p('pw2'), f]);
    expect(v.stdout).toBe('added: first\nadded: second\n');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const [i, l] of lines.entries()) {
      const [mode, path] = l.split(' ');
      expect(mode).toBe(i % 2 === 0 ? '600' : '700');
      expect(existsSync(path!)).toBe(false); // removed after
    }
    const before = readFileSync(f, 'utf8');
    const same = await runFabric(['vault', 'edit', '--vault-password-file', p('pw2'), f], { env: { EDITOR: 'true' } });
    expect(same.code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(before);
    const exists = await runFabric(['vault', 'create', '--vault-password-file', p('pw2'), f], { env: { EDITOR: editor } });
    expect(exists.code).toBe(5);
    expect(exists.stderr).toContain("use 'fabric vault edit'");
    const failing = await runFabric(['vault', 'edit', '--vault-password-file', p('pw2'), f], { env: { EDITOR: 'false' } });
    expect(failing.code).toBe(5);
    expect(readFileSync(f, 'utf8')).toBe(before);
  });
});

describe('vaulted vars in check and play', () => {
  const inv = () => p('play/inventory.yml');
  let secretBlock = '';
  beforeAll(async () => {
    mkdirSync(p('play/group_vars/nodes'), { recursive: true });
    mkdirSync(p('play/out'), { recursive: true });
    writeFileSync(inv(), `all:\n  vars: {fabric_connection: local}\n  children:\n    nodes:\n      hosts: {here: {}}\n`);
    writeFileSync(p('play/group_vars/nodes/plain.yml'), 'greeting: hello\n');
    writeFileSync(p('play/group_vars/nodes/vault.yml'), 'db_password: group-secret-42\n');
    expect((await runFabric(['vault', 'encrypt', '--vault-password-file', p('pw0'), p('play/group_vars/nodes/vault.yml')])).code).toBe(0);
    const es = await runFabric(['vault', 'encrypt_string', '--vault-id', `prod@${p('pw1')}`, '-n', 'api_token', 'inline-token-77']);
    secretBlock = es.stdout.replace(/\n/g, '\n    ');
    writeFileSync(p('play/extra.yml'), 'from_extra: extra-secret-9\n');
    expect((await runFabric(['vault', 'encrypt', '--vault-password-file', p('pw0'), p('play/extra.yml')])).code).toBe(0);
    writeFileSync(
      p('play/pb.yml'),
      `- hosts: nodes
  gather_facts: false
  vars:
    ${secretBlock}
  tasks:
    - copy: {dest: "${p('play/out')}/result", content: "{{ greeting }} {{ db_password }} {{ api_token }} {{ from_extra }}"}
`,
    );
  });
  const pwArgs = () => ['--vault-password-file', p('pw0'), '--vault-id', `prod@${p('pw1')}`];

  it('a play opens whole-file group_vars, !vault play vars and -e @vaulted, each with its own password', async () => {
    const r = await runFabric(['play', p('play/pb.yml'), '-i', inv(), '-e', `@${p('play/extra.yml')}`, ...pwArgs()]);
    expect(r.code, explain(r)).toBe(0);
    expect(readFileSync(p('play/out/result'), 'utf8')).toBe('hello group-secret-42 inline-token-77 extra-secret-9');
  });

  it('FABRIC_VAULT_PASSWORD_FILE and an executable password script work as --vault-password-file', async () => {
    const script = p('pw-script.sh');
    writeFileSync(script, `#!/bin/sh\ncat ${p('pw1')}\n`);
    chmodSync(script, 0o700);
    rmSync(p('play/out/result'), { force: true });
    const r = await runFabric(['play', p('play/pb.yml'), '-i', inv(), '-e', `@${p('play/extra.yml')}`, '--vault-id', `prod@${script}`], { env: { FABRIC_VAULT_PASSWORD_FILE: p('pw0') } });
    expect(r.code, explain(r)).toBe(0);
    expect(readFileSync(p('play/out/result'), 'utf8')).toContain('inline-token-77');
  });

  it('without a password: exit 5 naming the file and line; with a wrong one: exit 5; nothing ran', async () => {
    rmSync(p('play/out/result'), { force: true });
    const none = await runFabric(['play', p('play/pb.yml'), '-i', inv()], { env: { FABRIC_VAULT_PASSWORD_FILE: '' } });
    expect(none.code, explain(none)).toBe(5);
    expect(none.stderr).toMatch(/group_vars\/nodes\/vault\.yml:1:1: .*vault\.yml is vault-encrypted and no vault password was given/);
    expect(none.stderr).toContain('no host was contacted');
    // An inline value: its own line (another directory, so no vaulted group_vars come first).
    mkdirSync(p('play2'), { recursive: true });
    writeFileSync(p('play2/inventory.yml'), readFileSync(inv(), 'utf8'));
    writeFileSync(p('play2/pb.yml'), readFileSync(p('play/pb.yml'), 'utf8'));
    const inline = await runFabric(['play', p('play2/pb.yml'), '-i', p('play2/inventory.yml')], { env: { FABRIC_VAULT_PASSWORD_FILE: '' } });
    expect(inline.code, explain(inline)).toBe(5);
    expect(inline.stderr).toMatch(/pb\.yml:4:\d+: the !vault value is vault-encrypted and no vault password was given/);
    const wrong = await runFabric(['play', p('play/pb.yml'), '-i', inv(), '--vault-password-file', p('pw2'), '--vault-id', `prod@${p('pw2')}`]);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toMatch(/decryption failed: wrong vault password for .*vault\.yml/);
    const ask = await runFabric(['play', p('play/pb.yml'), '-i', inv(), '--ask-vault-pass']);
    expect(ask.code).toBe(5);
    expect(ask.stderr).toContain('needs a terminal');
    expect(existsSync(p('play/out/result'))).toBe(false);
  });

  it('fabric inventory edits an inventory holding a !vault value without a password, keeping the vault bytes', async () => {
    const file = p('vaulted-inventory.yml');
    const before = `all:\n  hosts:\n    h1:\n      ${secretBlock.replace(/\n    /g, '\n      ')}\n`;
    writeFileSync(file, before);
    const r = await runFabric(['inventory', '-i', file, 'set-var', '--host', 'h1', 'colour=blue']);
    expect(r.code, explain(r)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${before}      colour: blue\n`);
  });

  it('check: with the passwords it checks everything; without, it says what it could not check', async () => {
    const ok = await runFabric(['check', p('play/pb.yml'), '-i', inv(), '-e', `@${p('play/extra.yml')}`, ...pwArgs()]);
    expect(ok.code, explain(ok)).toBe(0);
    expect(ok.stdout).toMatch(/ok: .*1 plays, 1 tasks\n$/);
    const shut = await runFabric(['check', p('play/pb.yml'), '-i', inv()], { env: { FABRIC_VAULT_PASSWORD_FILE: '' } });
    expect(shut.code, explain(shut)).toBe(0);
    expect(shut.stderr).toMatch(/not checked: .*group_vars\/nodes\/vault\.yml \(a vault-encrypted file\): no vault password given/);
    expect(shut.stderr).toMatch(/not checked: .*pb\.yml:4:\d+ \(a !vault value\)/);
    expect(shut.stderr).toContain('not checked: undefined variables');
    expect(shut.stdout).toContain('(2 vaulted files not checked)');
    const wrong = await runFabric(['check', p('play/pb.yml'), '-i', inv(), '--vault-password-file', p('pw2')]);
    expect(wrong.code).toBe(5);
  });
});

/** Runs fabric on a pseudo-terminal (script(1)); each answer is typed once its prompt has appeared. */
function onTerminal(args: string[], answers: [string, string][]): Promise<FabricRun> {
  const cmd = ['exec', process.execPath, FABRIC_BIN, ...args].map((a, i) => (i === 0 ? a : `'${a}'`)).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, env: { ...process.env, FABRIC_VAULT_PASSWORD_FILE: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const next = answers[0];
      if (next && stdout.indexOf(next[0], seen) >= 0) {
        seen = stdout.indexOf(next[0], seen) + next[0].length;
        answers.shift();
        child.stdin.write(`${next[1]}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: '' });
    });
  });
}

describe('--ask-vault-pass on a terminal', () => {
  it('asks without echo, and a new password twice', async () => {
    const f = p('prompted.txt');
    writeFileSync(f, 'prompted plaintext\n');
    const enc = await onTerminal(['vault', 'encrypt', '--ask-vault-pass', f], [['New Vault password: ', 'typed-pw-1'], ['Confirm New Vault password: ', 'typed-pw-1']]);
    expect(enc.code, enc.stdout).toBe(0);
    expect(enc.stdout).not.toContain('typed-pw-1');
    expect(readFileSync(f, 'utf8').startsWith('$ANSIBLE_VAULT;1.1;AES256')).toBe(true);
    const view = await onTerminal(['vault', 'view', '-J', f], [['Vault password: ', 'typed-pw-1']]);
    expect(view.code, view.stdout).toBe(0);
    expect(view.stdout).toContain('prompted plaintext');
    expect(view.stdout).not.toContain('typed-pw-1');
    writeFileSync(p('prompted2.txt'), 'other\n');
    const mismatch = await onTerminal(['vault', 'encrypt', '--vault-id', 'x@prompt', p('prompted2.txt')], [['New vault password (x): ', 'one'], ['Confirm new vault password (x): ', 'two']]);
    expect(mismatch.code).toBe(5);
    expect(mismatch.stdout).toContain('do not match');
  });
});
