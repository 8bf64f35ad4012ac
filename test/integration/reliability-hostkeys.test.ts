// Host identity: a changed key is refused before anything runs, an unknown key is refused unless
// --accept-new-host-keys, which records it. On the shared lab with our own known_hosts copy.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

let lab: LabInfo;
let dir: string;
let host: string; // the host under test
const marker = `/tmp/hostkey-marker-${randomBytes(4).toString('hex')}`;

const explain = (r: FabricRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

function knownHostsLine(name: string): string {
  const line = readFileSync(lab.knownHostsFile, 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[0] === name);
  if (!line) throw new Error(`no known_hosts line for ${name}`);
  return line;
}

/** An inventory like the lab's, checking keys against `knownHosts`. */
function inventoryWith(knownHosts: string): string {
  const inv = join(dir, `inv-${randomBytes(3).toString('hex')}.yml`);
  const text = readFileSync(lab.inventoryPath, 'utf8').replace(/fabric_known_hosts: .*/, `fabric_known_hosts: ${knownHosts}`);
  writeFileSync(inv, text);
  return inv;
}

async function markerOnHost(): Promise<boolean> {
  const r = await labExecCapture(host, ['test', '-e', marker], { repoRoot: REPO, name: lab.name });
  return r.code === 0;
}

function play(inv: string, ...extra: string[]): Promise<FabricRun> {
  const pb = join(dir, 'touch.yml');
  writeFileSync(pb, `- hosts: ${host}\n  gather_facts: false\n  tasks:\n    - command: {argv: [touch, ${marker}]}\n`);
  return runFabric(['play', pb, '-i', inv, ...extra]);
}

describeLab('host keys', () => {
  beforeAll(() => {
    lab = requireLab();
    host = lab.hosts[1]!.name;
    dir = mkdtempSync(join(tmpdir(), 'fabric-hostkey-'));
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (host) await labExecCapture(host, ['rm', '-f', marker], { repoRoot: REPO, name: lab.name });
  });

  it('a changed host key is refused, naming the host and "host key", and nothing runs there', async () => {
    const addr = lab.hosts[1]!.address;
    const impostor = knownHostsLine(lab.hosts[2]!.address).split(' ').slice(1).join(' ');
    const kh = join(dir, 'changed');
    writeFileSync(kh, `${addr} ${impostor}\n`);
    const r = await play(inventoryWith(kh));
    expect(r.code, explain(r)).toBe(4);
    expect(recap(r.stdout)[host]).toMatchObject({ unreachable: 1, ok: 0, changed: 0 });
    const msg = r.stdout + r.stderr;
    expect(msg).toMatch(new RegExp(`${host}.*host key|host key.*${host}`));
    expect(msg).toMatch(/CHANGED/);
    expect(await markerOnHost()).toBe(false);
    expect(readFileSync(kh, 'utf8'), 'the changed key is never recorded').toBe(`${addr} ${impostor}\n`);
  });

  it('a key marked @revoked is refused even where it is also listed as known', async () => {
    const line = knownHostsLine(lab.hosts[1]!.address);
    const kh = join(dir, 'revoked');
    writeFileSync(kh, `${line}\n@revoked * ${line.split(' ').slice(1).join(' ')}\n`);
    const r = await play(inventoryWith(kh));
    expect(r.code, explain(r)).toBe(4);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`host key for ${host} .*REVOKED`));
    expect(await markerOnHost()).toBe(false);
  });

  it('an unknown host key is refused without --accept-new-host-keys', async () => {
    const kh = join(dir, 'empty');
    writeFileSync(kh, '');
    const r = await play(inventoryWith(kh));
    expect(r.code, explain(r)).toBe(4);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`host key for ${host} .*unknown.*--accept-new-host-keys`));
    expect(await markerOnHost()).toBe(false);
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('with --accept-new-host-keys an unknown key is accepted and recorded; later runs need no flag', async () => {
    const kh = join(dir, 'learn');
    writeFileSync(kh, '');
    const inv = inventoryWith(kh);
    const r = await play(inv, '--accept-new-host-keys');
    expect(r.code, explain(r)).toBe(0);
    expect(await markerOnHost()).toBe(true);
    const addr = lab.hosts[1]!.address;
    expect(readFileSync(kh, 'utf8').trim()).toBe(knownHostsLine(addr));
    await labExecCapture(host, ['rm', '-f', marker], { repoRoot: REPO, name: lab.name });
    const again = await play(inv);
    expect(again.code, explain(again)).toBe(0);
    expect(await markerOnHost()).toBe(true);
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
