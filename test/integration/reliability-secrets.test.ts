// no_log hides a task's arguments and results from every output: the terminal (live view on a
// pseudo-terminal), plain lines at -vvv, --json, and the error of a failing task. The kubeadm
// join token travels like this: registered with no_log on the control plane, used with no_log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { REPO, runFabric, runFabricOnTty, type FabricRun } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const tag = randomBytes(4).toString('hex');
const SECRET = `S3CRET${tag}tok`;
const VISIBLE = `VISIBLE${tag}`;
const JOIN_FILE = `/tmp/fabric-join-${tag}`;

let lab: LabInfo;
let dir: string;
let pb: string;
let worker: string;

const explain = (r: FabricRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

function playbookText(): string {
  const hidden = { no_log: true };
  const plays = [
    {
      hosts: 'control_plane',
      gather_facts: false,
      tasks: [
        // Stand-in for `kubeadm token create --print-join-command`.
        { name: 'join command', command: { argv: ['printf', '%s', `kubeadm join 10.9.9.9:6443 --token ${SECRET} --discovery-token-ca-cert-hash sha256:00`] }, register: 'join_command', changed_when: false, ...hidden },
        { name: 'visible control', debug: { msg: VISIBLE } },
      ],
    },
    {
      hosts: worker,
      gather_facts: false,
      vars: { secret: SECRET },
      tasks: [
        { name: 'use the join command', command: { argv: ['sh', '-c', `printf '%s\\n' "$1" > ${JOIN_FILE}; echo "$1"; echo "$1" >&2`, 'sh', "{{ lookup (hostvar groups.control_plane.[0] 'join_command') 'stdout' }}"] }, ...hidden },
        { name: 'copy a secret', copy: { dest: `${JOIN_FILE}.copy`, content: 'token={{ secret }}\n' }, ...hidden },
        { name: 'debug a secret', debug: { msg: '{{ secret }}' }, ...hidden },
        { name: 'loop over secrets', debug: { msg: 'x' }, loop: ['{{ secret }}', 'b'], ...hidden },
        { name: 'fail with the secret', fail: { msg: 'bad {{ secret }}' }, ignore_errors: true, ...hidden },
        { name: 'missing command named by the secret', command: { argv: ['{{ secret }}'] }, ignore_errors: true, ...hidden },
        { name: 'cmd fails printing the secret', command: { argv: ['sh', '-c', 'echo "$0"; echo "$0" >&2; exit 3', '{{ secret }}'] }, ...hidden },
      ],
    },
  ];
  return JSON.stringify(plays);
}

function expectHidden(r: FabricRun): void {
  const all = r.stdout + r.stderr;
  expect(all, explain(r)).toContain(VISIBLE); // the capture works: a plain value shows
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(`S3CRET${tag}`); // not even a prefix (a truncated line)
  expect(all).toContain('no_log');
}

describeLab('no_log keeps secrets out of every output', () => {
  beforeAll(() => {
    lab = requireLab();
    worker = lab.hosts.find((h) => h.groups.includes('workers'))!.name;
    dir = mkdtempSync(join(tmpdir(), 'fabric-secrets-'));
    pb = join(dir, 'secrets.yml');
    writeFileSync(pb, playbookText());
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (worker) await labExecCapture(worker, ['rm', '-f', JOIN_FILE, `${JOIN_FILE}.copy`], { repoRoot: REPO, name: lab.name });
  });

  it('the kubeadm roles register and use the join command only with no_log', () => {
    const cpTasks = parse(readFileSync(join(REPO, 'roles/kubeadm_control_plane/tasks/main.yml'), 'utf8')) as Record<string, unknown>[];
    const wTasks = parse(readFileSync(join(REPO, 'roles/kubeadm_worker/tasks/main.yml'), 'utf8')) as Record<string, unknown>[];
    const registering = cpTasks.filter((t) => t.register === 'join_command');
    expect(registering).toHaveLength(1);
    expect(registering[0]!.no_log).toBe(true);
    const users = [...cpTasks, ...wTasks].filter((t) => t.register !== 'join_command' && JSON.stringify(t).includes('join_command'));
    expect(users.length).toBeGreaterThan(0);
    for (const t of users) expect(t.no_log, String(t.name)).toBe(true);
  });

  it('plain output at -vvv with --diff', async () => {
    const r = await runFabric(['play', pb, '-i', lab.inventoryPath, '-vvv', '--diff']);
    expect(r.code, explain(r)).toBe(2);
    expectHidden(r);
    // The secret did reach the host: the tasks ran with it.
    const onHost = await labExecCapture(worker, ['cat', JOIN_FILE, `${JOIN_FILE}.copy`], { repoRoot: REPO, name: lab.name });
    expect(onHost.stdout).toBe(`kubeadm join 10.9.9.9:6443 --token ${SECRET} --discovery-token-ca-cert-hash sha256:00\ntoken=${SECRET}\n`);
  });

  it('--json', async () => {
    const r = await runFabric(['play', pb, '-i', lab.inventoryPath, '--json', '-vvv', '--diff']);
    expect(r.code, explain(r)).toBe(2);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expectHidden(r);
  });

  it('the live view on a terminal', async () => {
    const r = await runFabricOnTty(['play', pb, '-i', lab.inventoryPath, '-vvv', '--diff']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stdout).toMatch(/\x1b\[1A/); // cursor up: the live view redrew rows, not plain lines
    expectHidden(r);
  });
});
