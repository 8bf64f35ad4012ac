// Secrets are masked by origin: a vaulted value, and what a template makes of it, never appears in
// any output — plain lines at -vvv with --diff, the live view on a terminal, --json, an error
// message, ad-hoc output — with no no_log anywhere. The hosts still get the real value.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFabric, runFabricOnTty, type FabricRun } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

const tag = randomBytes(4).toString('hex');
const SECRET = `Vaulted-${tag}-pw`;
const TOKEN = `tok-${tag}-extra`;
const forms = [SECRET, TOKEN, Buffer.from(SECRET).toString('base64'), SECRET.toUpperCase(), [...SECRET].reverse().join('')];

let pd: PlayDir;
let pwFile: string;

async function vaultString(name: string, value: string): Promise<string> {
  const r = await runFabric(['vault', 'encrypt_string', '--vault-password-file', pwFile, '-n', name, value]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const PLAY = `
- hosts: nodes
  gather_facts: false
  vars:
    derived: "{{ db_password | b64encode }}"
  tasks:
    - debug: {msg: "password is {{ db_password }}, token {{ api_token }}"}
    - debug: {var: derived}
    - set_fact: {shout: "{{ db_password | upper }}", backwards: "{{ db_password | reverse | join('') }}"}
    - debug: {msg: "{{ shout }} {{ backwards }}"}
    - copy: {dest: "{{ base }}/{{ inventory_hostname }}.conf", content: "password={{ db_password }}\\nb64={{ derived }}\\n"}
    - command: {argv: [cat, "{{ base }}/{{ inventory_hostname }}.conf"]}
      register: out
    - debug: {var: out.stdout_lines}
    - assert: {that: ["db_password == 'wrong'"], fail_msg: "expected {{ db_password }} to be wrong"}
`;

function expectMasked(r: FabricRun, what: string): void {
  const all = r.stdout + r.stderr;
  expect(all, `${what}: the run printed something`).toMatch(/\*{8}/);
  for (const f of forms) expect(all, `${what}: ${f}`).not.toContain(f);
}

describe('vaulted values never reach any output', () => {
  beforeAll(async () => {
    pd = playDir(await testSshd(), ['n1', 'n2']);
    pwFile = join(pd.dir, 'vault-pass');
    writeFileSync(pwFile, 'correct horse battery\n', { mode: 0o600 });
    mkdirSync(join(pd.dir, 'group_vars'));
    writeFileSync(join(pd.dir, 'group_vars', 'nodes.yml'), await vaultString('db_password', SECRET));
    writeFileSync(join(pd.dir, 'extra.yml'), await vaultString('api_token', TOKEN));
  });
  afterAll(async () => {
    await stopTestSshd();
    pd.remove();
  });

  const vaultArgs = () => ['--vault-password-file', pwFile, '-e', `@${join(pd.dir, 'extra.yml')}`];

  it('plain output at -vvv with --diff, and the failing assert: masked; the hosts got the real value', async () => {
    const r = await pd.play(PLAY, [...vaultArgs(), '-vvv', '--diff']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain('password is ********, token ********');
    expectMasked(r, 'plain');
    expect(readFileSync(join(pd.base, 'n1.conf'), 'utf8')).toBe(`password=${SECRET}\nb64=${forms[2]}\n`);
  });

  it('--json', async () => {
    const r = await pd.play(PLAY, [...vaultArgs(), '--json']);
    expect(r.code).toBe(2);
    JSON.parse(r.stdout);
    expectMasked(r, 'json');
  });

  it('the live view on a terminal', async () => {
    const pb = join(pd.dir, 'live.yml');
    writeFileSync(pb, PLAY);
    const r = await runFabricOnTty(['play', pb, '-i', pd.inv, ...vaultArgs(), '--diff']);
    expectMasked(r, 'live');
  });

  it('ad-hoc output, and a template error quoting the value', async () => {
    const r = await runFabric(['run', 'nodes', '-i', pd.inv, ...vaultArgs(), '-m', 'debug', '-a', 'msg={{ db_password }}'], { cwd: pd.dir });
    expect(r.code, r.stderr).toBe(0);
    expectMasked(r, 'ad-hoc');
    const bad = await runFabric(['run', 'n1', '-i', pd.inv, ...vaultArgs(), '-m', 'debug', '-a', 'msg={{ db_password | int(base=99) }}'], { cwd: pd.dir });
    for (const f of forms) expect(bad.stdout + bad.stderr).not.toContain(f);
  });
});
