import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { hostname as machineHostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import hostname, { persistedHostname } from '../../src/modules/hostname.js';
import { argErrors, runModule, WrappedConnection } from '../support/module-harness.js';
import { quote } from '../../src/quote.js';

const sh = (cmd: string) => execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });

// The module sets the kernel's host name and /etc/hostname: here only inside a private UTS and
// mount namespace whose /etc is an overlay on a tmpfs, so the machine's own name and file stay.
describe('hostname, in private uts/mount namespaces with /etc overlaid', () => {
  let holder: ChildProcess;
  let inner: number;
  let ns: WrappedConnection;
  const machineFile = sh('cat /etc/hostname 2>/dev/null || true');
  beforeAll(async () => {
    const setup = [
      'mkdir -p /run/fabric-hostname-test && mount -t tmpfs tmpfs /run/fabric-hostname-test',
      'cd /run/fabric-hostname-test && mkdir upper work',
      'mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/fabric-hostname-test/upper,workdir=/run/fabric-hostname-test/work /etc',
      "printf 'old-name\\n' > /etc/hostname && hostname old-name",
      'echo ready; while :; do sleep 1; done',
    ].join(' && ');
    holder = spawn('unshare', ['-m', '-u', '--fork', '--propagation', 'private', 'sh', '-c', setup], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res, rej) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
      holder.on('exit', (c) => rej(new Error(`namespace holder exited ${c}`)));
    });
    inner = Number(sh(`pgrep -P ${holder.pid}`).trim());
    ns = new WrappedConnection('hostname-ns', (s) => `nsenter -t ${inner} -m -u -- /bin/sh -c ${quote(s)}`);
  });
  afterAll(async () => {
    await ns?.close();
    holder?.kill('SIGKILL');
    if (inner) process.kill(inner, 'SIGKILL');
  });
  const inside = async (cmd: string) => (await ns.exec(cmd)).stdout;

  it('check shows both changes and does neither; a run makes both in one round trip; a rerun is one read', async () => {
    const c = await runModule(hostname, { name: 'n1' }, ns, { check: true, diff: true });
    expect(c).toMatchObject({ changed: true, execs: 1, before: 'old-name' });
    expect(c.diff).toEqual([
      { path: '/etc/hostname', before: 'old-name\n', after: 'n1\n' },
      { path: '/proc/sys/kernel/hostname', before: 'old-name\n', after: 'n1\n' },
    ]);
    expect(await inside('hostname; cat /etc/hostname')).toBe('old-name\nold-name\n');

    expect(await runModule(hostname, { name: 'n1' }, ns)).toMatchObject({ changed: true, execs: 2, uploads: 0 });
    expect(await inside('hostname; cat /etc/hostname; stat -c %a /etc/hostname')).toBe('n1\nn1\n644\n');
    expect(await runModule(hostname, { name: 'n1' }, ns)).toMatchObject({ changed: false, execs: 1, uploads: 0 });

    // The machine's own name and file were never touched.
    expect(machineHostname()).not.toBe('n1');
    expect(sh('cat /etc/hostname 2>/dev/null || true')).toBe(machineFile);
  });

  it('changes only the one that differs: the live name alone, then the file alone', async () => {
    await inside('hostname drifted');
    expect(await runModule(hostname, { name: 'n1' }, ns, { diff: true })).toMatchObject({
      changed: true,
      execs: 2,
      diff: [{ path: '/proc/sys/kernel/hostname', before: 'drifted\n', after: 'n1\n' }],
    });
    expect(await inside('hostname')).toBe('n1\n');
    await inside("printf '# set by hand\\nn1-old\\n' > /etc/hostname");
    expect(await runModule(hostname, { name: 'n1' }, ns, { diff: true })).toMatchObject({
      changed: true,
      diff: [{ path: '/etc/hostname', before: '# set by hand\nn1-old\n', after: 'n1\n' }],
    });
    expect(await inside('cat /etc/hostname')).toBe('n1\n');
  });

  it('refuses names the kernel or DNS would not take, before any host is touched', () => {
    expect(argErrors(hostname, { name: 'x'.repeat(65) }).length).toBe(1);
    expect(argErrors(hostname, { nmae: 'n1' })).toEqual(expect.arrayContaining([expect.stringContaining("did you mean 'name'")]));
    for (const bad of ['-n1', 'n1-', 'a..b', 'n 1', 'n1;reboot', "n1'"]) {
      expect(() => hostname.validate!({ name: bad }, undefined as never), bad).toThrow(/not a valid host name/);
    }
    expect(() => hostname.validate!({ name: 'n1.lab.example' }, undefined as never)).not.toThrow();
    expect(persistedHostname('# comment\n\n  n2  \nn3\n')).toBe('n2');
    expect(persistedHostname('')).toBeUndefined();
  });
});
