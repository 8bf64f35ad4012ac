import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/fabric');
const FIXTURE = join(ROOT, 'test/fixtures/inventory/commented/hosts.yml');
const ORIGINAL = readFileSync(FIXTURE, 'utf8');

let dir: string;
let file: string;

/** Runs the real CLI in dir, where inventory/hosts.yml is the default inventory. */
function fabric(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Async, so the test worker stays responsive while the CLI runs.
  const child = spawn(process.execPath, [BIN, 'inventory', ...args], { cwd: dir, env: { ...process.env, FABRIC_NO_FRAMES: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const current = (): string => readFileSync(file, 'utf8');

function insertedAfter(anchor: string, insert: string): string {
  const i = ORIGINAL.indexOf(anchor);
  expect(i).toBeGreaterThanOrEqual(0);
  return ORIGINAL.slice(0, i + anchor.length) + insert + ORIGINAL.slice(i + anchor.length);
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/inventory.js'))) throw new Error('build first: npx tsc -p . (npm test does)');
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-inv-cli-'));
  mkdirSync(join(dir, 'inventory'));
  file = join(dir, 'inventory/hosts.yml');
  cpSync(FIXTURE, file);
  chmodSync(file, 0o640);
});

describe('fabric inventory: reading', () => {
  it('list --json has ansible-inventory --list shape with merged hostvars', async () => {
    const r = await fabric('list', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['_meta', 'all', 'k8s', 'control_plane', 'workers', 'router']);
    expect(j.all).toEqual({ children: ['ungrouped', 'k8s', 'router'], vars: { fabric_user: 'root', ntp: { server: 'pool.ntp.org', iburst: true } } });
    expect(j.k8s).toEqual({ children: ['control_plane', 'workers'], vars: { pod_cidr: '10.244.0.0/16', list: ['a', 'b'] } });
    expect(j.workers).toEqual({ hosts: ['w1', 'w2', 'w4'] });
    expect(j._meta.hostvars.w1).toEqual({
      fabric_user: 'root',
      ntp: { server: 'pool.ntp.org', iburst: true },
      pod_cidr: '10.244.0.0/16',
      list: ['a', 'b'],
      fabric_host: '127.0.0.1',
      fabric_port: 2202,
    });
    expect(Object.keys(j._meta.hostvars)).toEqual(['cp1', 'w1', 'w2', 'w4', 'r1']);
  });

  it('list without --json is a tree with connection targets', async () => {
    const r = await fabric('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('@all (5 hosts)\n├─ @ungrouped\n├─ @k8s\n│  ├─ @control_plane\n│  │  └─ cp1  root@127.0.0.1:2201\n');
    expect(r.stdout).toContain('└─ @router\n   └─ r1  local\n');
  });

  it('graph prints the ansible-inventory --graph tree', async () => {
    const r = await fabric('graph');
    expect(r.stdout).toBe(
      '@all:\n  |--@k8s:\n  |  |--@control_plane:\n  |  |  |--cp1\n  |  |--@workers:\n  |  |  |--w1\n  |  |  |--w2\n  |  |  |--w4\n  |--@router:\n  |  |--r1\n  |--@ungrouped:\n',
    );
    expect((await fabric('graph', 'workers')).stdout).toBe('@workers:\n  |--w1\n  |--w2\n  |--w4\n');
  });

  it('show lists merged vars with their origins', async () => {
    const r = await fabric('show', 'cp1', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.groups).toEqual(['all', 'k8s', 'control_plane']);
    expect(j.vars.fabric_port).toBe(2201);
    expect(j.origins).toMatchObject({ fabric_port: 'inventory/hosts.yml:16', pod_cidr: 'inventory/hosts.yml:24 (group k8s)' });
    const text = (await fabric('show', 'cp1')).stdout;
    expect(text).toMatch(/^cp1\n  groups: all, k8s, control_plane\n  vars:\n/);
    expect(text).toMatch(/fabric_port: 2201 +# inventory\/hosts.yml:16\n/);
  });

  it('-i picks another file, before or after the subcommand', async () => {
    cpSync(FIXTURE, join(dir, 'other.yml'));
    expect((await fabric('-i', 'other.yml', 'graph', 'router')).stdout).toBe('@router:\n  |--r1\n');
    expect((await fabric('graph', 'router', '-i', 'other.yml')).stdout).toBe('@router:\n  |--r1\n');
    const missing = await fabric('-i', 'nope.yml', 'list');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('cannot read inventory nope.yml: ENOENT');
  });

  it('an unknown host in show is exit 5 with did-you-mean', async () => {
    const r = await fabric('show', 'cp2');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("error: no host 'cp2' in inventory/hosts.yml (did you mean 'cp1'?)");
  });
});

describe('fabric inventory: edits keep the rest of the file byte-identical', () => {
  it('add-host with vars', async () => {
    const r = await fabric('add-host', 'w5', '--group', 'workers', '--var', 'fabric_port=2205', '--var', 'tag="22"');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('added host w5 to group workers in inventory/hosts.yml\n');
    expect(current()).toBe(insertedAfter('            w4: ~', '\n            w5:\n              fabric_port: 2205\n              tag: "22"'));
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('remove-host', async () => {
    expect((await fabric('remove-host', 'w2')).code).toBe(0);
    expect(current()).toBe(ORIGINAL.replace('            w2:\n', ''));
  });

  it('add-group and remove-group', async () => {
    expect((await fabric('add-group', 'gpu', '--parent', 'workers')).code).toBe(0);
    expect(current()).toBe(insertedAfter('            w4: ~', '\n          children:\n            gpu:'));
    expect((await fabric('remove-group', 'gpu')).code).toBe(0);
    expect(current()).toBe(insertedAfter('            w4: ~', '\n          children:'));
  });

  it('remove-group --force says what went with it', async () => {
    const r = await fabric('remove-group', 'router', '--force');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('removed group router in inventory/hosts.yml (gone with it: hosts r1)\n');
    expect(current()).toBe(ORIGINAL.replace('    router:\n      hosts:\n        r1:\n          fabric_connection: local\n', ''));
  });

  it('set-var and unset-var on host, group and all', async () => {
    expect((await fabric('set-var', '--group', 'k8s', 'pod_cidr=10.0.0.0/16')).code).toBe(0);
    expect((await fabric('set-var', '--host', 'w1', 'fabric_port=2299')).code).toBe(0);
    expect((await fabric('set-var', '--all', 'fabric_user=admin', 'extra=true')).code).toBe(0);
    expect((await fabric('unset-var', '--host', 'r1', 'fabric_connection')).code).toBe(0);
    expect(current()).toBe(
      ORIGINAL.replace('pod_cidr: "10.244.0.0/16"', 'pod_cidr: 10.0.0.0/16')
        .replace('fabric_port: 2202}', 'fabric_port: 2299}')
        .replace('fabric_user: root   #', 'fabric_user: admin   #')
        .replace('iburst: true}\n', 'iburst: true}\n    extra: true\n')
        .replace('        r1:\n          fabric_connection: local\n', '        r1:\n'),
    );
  });

  it('set-var says when a vars file overrides the inline value', async () => {
    mkdirSync(join(dir, 'inventory/group_vars'));
    cpSync(FIXTURE, join(dir, 'inventory/group_vars/.keep'));
    const vars = join(dir, 'inventory/group_vars/k8s.yml');
    cpSync(join(ROOT, 'test/fixtures/inventory/lab/group_vars/k8s.yaml'), vars);
    const r = await fabric('set-var', '--group', 'k8s', 'pod_cidr=10.1.0.0/16');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("note: 'pod_cidr' is also set in inventory/group_vars/k8s.yml:3, which takes precedence\n");
  });

  it('--dry-run prints a unified diff and does not write', async () => {
    const r = await fabric('add-host', 'cp2', '--group', 'control_plane', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- inventory/hosts.yml');
    expect(r.stdout).toContain('+++ inventory/hosts.yml');
    expect(r.stdout).toContain('               fabric_port: 2201\n+            cp2:\n');
    expect(current()).toBe(ORIGINAL);
  });
});

describe('fabric inventory: refusals exit 5 and leave the file byte-identical', () => {
  const cases: [string, string[], string][] = [
    ['existing host', ['add-host', 'cp1', '--group', 'workers'], "host 'cp1' already exists"],
    ['invalid host name', ['add-host', 'bad/name', '--group', 'workers'], "invalid host name 'bad/name'"],
    ['unknown group', ['add-host', 'x1', '--group', 'wrokers'], "no group 'wrokers' in inventory/hosts.yml (did you mean 'workers'?)"],
    ['invalid var value', ['add-host', 'x1', '--group', 'workers', '--var', 'fabric_port=http'], 'the result would be invalid'],
    ['unknown host', ['remove-host', 'w3'], "no host 'w3'"],
    ['existing group', ['add-group', 'k8s'], "group 'k8s' already exists"],
    ['invalid group name', ['add-group', 'k-8s'], "invalid group name 'k-8s'"],
    ['unknown parent', ['add-group', 'gpu', '--parent', 'nope'], "no group 'nope'"],
    ['group with hosts', ['remove-group', 'workers'], "group 'workers' still has hosts w1, w2, w4"],
    ['all', ['remove-group', 'all'], "group 'all' is built in and cannot be removed"],
    ['bad type', ['set-var', '--host', 'w1', 'fabric_become=maybe'], 'all.children.k8s.children.workers.hosts.w1.fabric_become must be boolean'],
    ['no target', ['set-var', 'x=1'], 'give exactly one of --host HOST, --group GROUP or --all'],
    ['two targets', ['set-var', '--all', '--host', 'w1', 'x=1'], 'give exactly one of'],
    ['not NAME=VALUE', ['set-var', '--all', 'x'], "expected NAME=VALUE, got 'x'"],
    ['unset missing', ['unset-var', '--group', 'router', 'pod_cidr'], "variable 'pod_cidr' is not set on group router"],
    ['missing option', ['add-host', 'x1'], "required option '-g, --group <group>' not specified"],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await fabric(...args);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(message);
      expect(current()).toBe(ORIGINAL);
      expect(r.stdout).toBe('');
    });
  }
});
