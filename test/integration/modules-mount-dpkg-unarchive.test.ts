// mount, dpkg_selections and unarchive on real lab hosts. Each lab host has its own mount namespace
// and a copy-on-write root, so its fstab, mounts and dpkg selections are its own: this machine's
// are checked to be untouched. Round trips are counted per task and host (test/support/counted-play.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { setMount, unsetMount } from '../../src/modules/lib/fstab.js';
import { mountEntry, type MountArgs } from '../../src/modules/mount.js';
import { REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';
import { countedPlays, type CountedRun } from '../support/counted-play.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-mdu-'));
const plays = countedPlays(dir);
afterAll(() => plays.remove());
const id = randomBytes(3).toString('hex');
let lab: LabInfo;
let H = '';
const files = join(dir, 'files');

/** top.txt and d/f.txt as tar (plain, gz, bz2, xz) and zip, in the play's files/ (looked up as copy's src). */
function buildArchives(): void {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'd'), { recursive: true });
  mkdirSync(files, { recursive: true });
  writeFileSync(join(tree, 'top.txt'), 'top\n');
  writeFileSync(join(tree, 'd', 'f.txt'), 'inner file\n');
  for (const [flag, name] of [['-cf', 'a.tar'], ['-czf', 'a.tar.gz'], ['-cjf', 'a.tar.bz2'], ['-cJf', 'a.tar.xz']]) execFileSync('tar', [flag!, join(files, name!), '-C', tree, 'top.txt', 'd']);
  execFileSync('zip', ['-qr', join(files, 'a.zip'), 'top.txt', 'd'], { cwd: tree });
}

/** Runs argv inside lab host H; returns stdout (throws on a non-zero exit unless allowed). */
async function onHost(argv: string[], o: { input?: string; allowFail?: boolean } = {}): Promise<string> {
  const r = await labExecCapture(H, argv, { repoRoot: REPO, name: lab.name }, o.input);
  if (!o.allowFail && r.code !== 0) throw new Error(`${argv.join(' ')} on ${H}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A play of one task named `t` on H. */
const one = (task: string) => `- hosts: ${H}\n  gather_facts: false\n  tasks:\n    - name: t\n${task.replace(/^/gm, '      ')}\n`;

async function task(text: string, o: { check?: boolean; diff?: boolean } = {}): Promise<{ status: string; result: Record<string, unknown>; execs: number; uploads: number; run: CountedRun }> {
  const run = await plays.run(one(text), lab.inventoryPath, o);
  const outcome = run.outcomes.get('t')?.get(H);
  if (!outcome) throw new Error(`no outcome (exit ${run.exitCode})`);
  const c = run.trips.get('t')?.get(H) ?? { execs: 0, uploads: 0 };
  return { status: outcome.status, result: outcome.result as Record<string, unknown>, ...c, run };
}

const hostFstab = () => onHost(['cat', '/etc/fstab']);
const mountedOnHost = async (path: string) => (await onHost(['findmnt', '-n', '-o', 'OPTIONS', path], { allowFail: true })).trim();
const machineMounts = () => readFileSync('/proc/self/mountinfo', 'utf8');

describeLab('mount, dpkg_selections and unarchive on lab hosts', () => {
  beforeAll(() => {
    lab = requireLab();
    H = lab.hosts[0]!.name;
    buildArchives();
  });

  describe('mount', () => {
    const mp = `/mnt/fab-${id}`;
    const entry = `tmpfs ${mp} tmpfs size=1m 0 0\n`;
    const mounted = (opts = 'size=1m') => `ansible.posix.mount: {path: ${mp}, src: tmpfs, fstype: tmpfs, opts: "${opts}", state: mounted}`;
    const machineFstab = readFileSync('/etc/fstab', 'utf8');

    it('mounted: check mode changes nothing; a run adds the fstab line and mounts; a rerun is one round trip; a new opts remounts', { timeout: 60_000 }, async () => {
      const before = await hostFstab();
      const check = await task(mounted(), { check: true, diff: true });
      expect(check).toMatchObject({ status: 'changed', execs: 1, uploads: 0 });
      expect(check.result.diff).toEqual([{ path: '/etc/fstab', before, after: before + entry }]);
      expect(await hostFstab()).toBe(before);
      expect(await mountedOnHost(mp)).toBe('');

      const first = await task(mounted());
      expect(first.status).toBe('changed');
      expect(first.result).toMatchObject({ name: mp, src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', dump: '0', passno: '0', fstab: '/etc/fstab', boot: 'yes' });
      expect(await hostFstab()).toBe(before + entry);
      expect(await mountedOnHost(mp)).toContain('size=1024k');
      // The lab host's own namespace and root: this machine neither mounted it nor got the line.
      expect(machineMounts()).not.toContain(mp);
      expect(readFileSync('/etc/fstab', 'utf8')).toBe(machineFstab);

      const again = await task(mounted());
      expect(again).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });

      const bigger = await task(mounted('size=2m'));
      expect(bigger.status).toBe('changed');
      expect(await mountedOnHost(mp)).toContain('size=2048k');
      expect(await hostFstab()).toBe(before + `tmpfs ${mp} tmpfs size=2m 0 0\n`);
    });

    it('remounted always remounts; unmounted keeps fstab; present only writes fstab; absent removes the line, unmounts and removes the mount point', { timeout: 60_000 }, async () => {
      await task(mounted());
      const remount = await task(`ansible.posix.mount: {path: ${mp}, state: remounted}`);
      expect(remount.status).toBe('changed');
      expect(await mountedOnHost(mp)).toContain('size=1024k');

      const withLine = await hostFstab();
      expect((await task(`ansible.posix.mount: {path: ${mp}, state: unmounted}`, { check: true })).status).toBe('changed');
      expect(await mountedOnHost(mp)).not.toBe('');
      expect((await task(`ansible.posix.mount: {path: ${mp}, state: unmounted}`)).status).toBe('changed');
      expect(await mountedOnHost(mp)).toBe('');
      expect(await hostFstab()).toBe(withLine);
      expect(await task(`ansible.posix.mount: {path: ${mp}, state: unmounted}`)).toMatchObject({ status: 'ok', execs: 1 });

      const other = `/srv/fab-present-${id}`;
      const present = `ansible.posix.mount: {name: ${other}, src: "UUID=0000-fab", fstype: ext4, opts: "ro,nofail", dump: 1, passno: 2, boot: false, state: present}`;
      const p = await task(present);
      expect(p.status).toBe('changed');
      expect(p.result).toMatchObject({ name: other, opts: 'ro,nofail,noauto', dump: '1', passno: '2', boot: 'no' });
      expect(await hostFstab()).toBe(`${withLine}UUID=0000-fab ${other} ext4 ro,nofail,noauto 1 2\n`);
      expect(await mountedOnHost(other)).toBe('');
      expect(await task(present)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });

      await task(mounted());
      const absent = `ansible.posix.mount: {path: ${mp}, state: absent}`;
      const chk = await task(absent, { check: true });
      expect(chk.status).toBe('changed');
      expect(await mountedOnHost(mp)).not.toBe('');
      const gone = await task(absent);
      expect(gone.status).toBe('changed');
      expect(await mountedOnHost(mp)).toBe('');
      expect((await labExecCapture(H, ['test', '-e', mp], { repoRoot: REPO, name: lab.name })).code).toBe(1);
      expect(await hostFstab()).not.toContain(mp);
      expect(await task(absent)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
      expect((await task(`ansible.posix.mount: {path: ${other}, state: absent}`)).status).toBe('changed');
    });

    it('swap off as an fstab edit: absent by path none and src, in a fstab of its own; other lines and comments stay', { timeout: 60_000 }, async () => {
      const fstab = `/etc/fstab.fab-${id}`;
      const text = `# swap below\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/fab-other none swap sw 0 0\n/dev/fab-swap none swap sw 0 0\n`;
      await onHost(['sh', '-c', `cat > ${fstab}`], { input: text });
      const swapOff = `ansible.posix.mount: {path: none, src: /dev/fab-swap, fstype: swap, state: absent, fstab: ${fstab}}`;
      const r = await task(swapOff, { diff: true });
      expect(r.status).toBe('changed');
      expect(await onHost(['cat', fstab])).toBe(`# swap below\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/fab-other none swap sw 0 0\n`);
      expect(await task(swapOff)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });

      // mounted through that fstab: mount -T reads the entry from it.
      const mp2 = `/srv/fab-t-${id}/a/b`;
      const m = `ansible.posix.mount: {path: ${mp2}, src: tmpfs, fstype: tmpfs, opts: "size=1m,mode=0700", state: mounted, fstab: ${fstab}}`;
      expect((await task(m)).status).toBe('changed');
      expect(await mountedOnHost(mp2)).toContain('mode=700');
      expect(await task(m)).toMatchObject({ status: 'ok', execs: 1 });
      expect((await task(`ansible.posix.mount: {path: ${mp2}, state: absent, fstab: ${fstab}}`)).status).toBe('changed');
      // A mount that fails puts the old fstab back and removes the directories it made.
      const bad = `ansible.posix.mount: {path: /srv/fab-bad-${id}/x, src: /dev/fab-nothing, fstype: ext4, state: mounted, fstab: ${fstab}}`;
      const failed = await task(bad);
      expect(failed.status).toBe('failed');
      expect(String(failed.result.msg)).toContain(`Error mounting /srv/fab-bad-${id}/x`);
      expect(await onHost(['cat', fstab])).not.toContain('fab-nothing');
      expect((await labExecCapture(H, ['test', '-e', `/srv/fab-bad-${id}`], { repoRoot: REPO, name: lab.name })).code).toBe(1);
    });
  });

  describe('dpkg_selections', () => {
    const sel = async () => (await onHost(['dpkg', '--get-selections', 'socat'])).split(/\s+/)[1];
    const machineSel = () => execFileSync('dpkg', ['--get-selections', 'socat'], { encoding: 'utf8' }).split(/\s+/)[1];

    it('hold and unhold: check mode changes nothing; a run sets it; a rerun is one round trip; this machine is untouched', { timeout: 60_000 }, async () => {
      const machine = machineSel();
      expect(await sel()).toBe('install');
      const hold = 'ansible.builtin.dpkg_selections: {name: socat, selection: hold}';
      const c = await task(hold, { check: true, diff: true });
      expect(c).toMatchObject({ status: 'changed', execs: 1, result: { before: 'install', after: 'hold', diff: [{ before: 'install\n', after: 'hold\n' }] } });
      expect(await sel()).toBe('install');
      expect(await task(hold)).toMatchObject({ status: 'changed', execs: 2, result: { before: 'install', after: 'hold' } });
      expect(await sel()).toBe('hold');
      expect(machineSel()).toBe(machine);
      expect(await task(hold)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
      const unhold = 'ansible.builtin.dpkg_selections: {name: socat, selection: install}';
      expect(await task(unhold)).toMatchObject({ status: 'changed', result: { before: 'hold', after: 'install' } });
      expect(await sel()).toBe('install');
      expect(await task(`dpkg_selections: {name: fab-no-such-package-${id}, selection: purge}`, { check: true })).toMatchObject({ status: 'changed', result: { before: 'not present' } });
    });
  });

  describe('unarchive', () => {
    const handlers: Record<string, string> = { 'a.tar': 'TarArchive', 'a.tar.gz': 'TgzArchive', 'a.tar.bz2': 'TarBzipArchive', 'a.tar.xz': 'TarXzArchive', 'a.zip': 'ZipArchive' };

    for (const name of Object.keys(handlers)) {
      it(`${name} from the controller (files/): check changes nothing, a run unpacks, a rerun is one round trip`, { timeout: 60_000 }, async () => {
        const dest = `/srv/fab-u-${id}-${name}`;
        await onHost(['mkdir', '-p', dest]);
        const t = `ansible.builtin.unarchive: {src: ${name}, dest: ${dest}, list_files: true}`;
        const c = await task(t, { check: true });
        expect(c).toMatchObject({ status: 'changed', execs: 1, uploads: 0, result: { handler: handlers[name] } });
        expect(await onHost(['ls', '-A', dest])).toBe('');
        const r = await task(t);
        expect(r).toMatchObject({ status: 'changed', execs: 2, uploads: 1, result: { dest, src: join(files, name), handler: handlers[name] } });
        expect([...(r.result.files as string[])].sort()).toEqual(['d/', 'd/f.txt', 'top.txt']);
        expect(await onHost(['cat', `${dest}/d/f.txt`])).toBe('inner file\n');
        expect(await task(t)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
        // A member that no longer matches (its size) is unpacked again.
        await onHost(['sh', '-c', `echo changed > ${dest}/top.txt`]);
        expect((await task(t)).status).toBe('changed');
        expect(await onHost(['cat', `${dest}/top.txt`])).toBe('top\n');
      });
    }

    it('remote_src: the archive on the host; a rerun is one round trip (the read); creates skips; exclude and mode apply', { timeout: 60_000 }, async () => {
      const src = `/srv/fab-r-${id}.tgz`;
      await onHost(['sh', '-c', `base64 -d > ${src}`], { input: readFileSync(join(files, 'a.tar.gz')).toString('base64') });
      const dest = `/srv/fab-r-${id}`;
      await onHost(['mkdir', '-p', dest]);
      const t = `ansible.builtin.unarchive: {src: ${src}, dest: ${dest}, remote_src: true, exclude: [top.txt], mode: '0750'}`;
      expect(await task(t, { check: true })).toMatchObject({ status: 'changed', execs: 1 });
      expect(await onHost(['ls', '-A', dest])).toBe('');
      expect(await task(t)).toMatchObject({ status: 'changed', execs: 2, uploads: 0, result: { handler: 'TgzArchive', src } });
      expect((await onHost(['ls', '-A', dest])).trim()).toBe('d');
      expect((await onHost(['stat', '-c', '%a', `${dest}/d/f.txt`, `${dest}/d`])).trim().split('\n')).toEqual(['750', '750']);
      expect(await task(t)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });

      const creates = `ansible.builtin.unarchive: {src: ${src}, dest: /srv/fab-nowhere-${id}, remote_src: true, creates: ${dest}/d}`;
      expect(await task(creates)).toMatchObject({ status: 'skipped', execs: 1, result: { msg: `skipped, since ${dest}/d exists` } });
      const missing = await task(`ansible.builtin.unarchive: {src: ${src}, dest: /srv/fab-nowhere-${id}, remote_src: true}`);
      expect(missing).toMatchObject({ status: 'failed', result: { msg: `Destination '/srv/fab-nowhere-${id}' is not a directory` } });
      const notArchive = await task(`ansible.builtin.unarchive: {src: /etc/hostname, dest: ${dest}, remote_src: true}`);
      expect(notArchive.status).toBe('failed');
      expect(String(notArchive.result.msg)).toContain('Failed to find handler for "/etc/hostname"');
    });

    it('extra_opts reach tar, in the listing too (--strip-components renames the members), so a rerun is ok', { timeout: 60_000 }, async () => {
      const dest = `/srv/fab-s-${id}`;
      await onHost(['mkdir', '-p', dest]);
      const t = `unarchive: {src: a.tar, dest: ${dest}, extra_opts: [--strip-components=1], list_files: true}`;
      const r = await task(t);
      expect(r.status).toBe('changed');
      expect(r.result.files).toEqual(['f.txt']);
      expect(await onHost(['cat', `${dest}/f.txt`])).toBe('inner file\n');
      expect(await task(t)).toMatchObject({ status: 'ok', execs: 1 });
    });
  });

  it('a play of all three already in shape reads everything ahead: one round trip for the play, none for the tasks after the first', { timeout: 60_000 }, async () => {
    const src = `/srv/fab-p-${id}.tar`;
    await onHost(['sh', '-c', `base64 -d > ${src}`], { input: readFileSync(join(dir, 'files', 'a.tar')).toString('base64') });
    await onHost(['mkdir', '-p', `/srv/fab-p-${id}`]);
    const play = `- hosts: ${H}
  gather_facts: false
  tasks:
    - name: swap line gone
      ansible.posix.mount: {path: none, src: /dev/fab-swap-${id}, fstype: swap, state: absent}
    - name: data mount
      ansible.posix.mount: {path: /mnt/fab-p-${id}, src: tmpfs, fstype: tmpfs, opts: size=1m, state: mounted}
    - name: hold
      ansible.builtin.dpkg_selections: {name: socat, selection: hold}
    - name: unpacked
      ansible.builtin.unarchive: {src: ${src}, dest: /srv/fab-p-${id}, remote_src: true}
`;
    const first = await plays.run(play, lab.inventoryPath);
    expect(first.exitCode).toBe(0);
    const again = await plays.run(play, lab.inventoryPath);
    expect(again.exitCode).toBe(0);
    for (const t of ['swap line gone', 'data mount', 'hold', 'unpacked']) expect(again.outcomes.get(t)!.get(H)!.status, t).toBe('ok');
    expect(again.trips.get('swap line gone')!.get(H)).toEqual({ execs: 1, uploads: 0 });
    for (const t of ['data mount', 'hold', 'unpacked']) expect(again.trips.get(t)?.get(H), t).toBeUndefined();
    await task('ansible.builtin.dpkg_selections: {name: socat, selection: install}');
  });

  describe('bad arguments: exit 5 at the task, before any host is touched', () => {
    const cases: [string, string, string][] = [
      ['mount without fstype', 'ansible.posix.mount: {path: /mnt/x, src: tmpfs, state: mounted}', 'state is mounted but all of the following are missing: fstype'],
      ['mount backup (not offered)', 'ansible.posix.mount: {path: /mnt/x, state: unmounted, backup: true}', 'backup'],
      ['mount ephemeral (not offered)', 'ansible.posix.mount: {path: /mnt/x, src: tmpfs, fstype: tmpfs, state: ephemeral}', 'state'],
      ['mount relative path to mount', 'ansible.posix.mount: {path: mnt/x, state: unmounted}', 'needs an absolute path'],
      ['dpkg_selections bad selection', 'ansible.builtin.dpkg_selections: {name: socat, selection: frozen}', 'selection'],
      ['dpkg_selections option as name', 'ansible.builtin.dpkg_selections: {name: --purge, selection: hold}', 'name'],
      ['unarchive missing src', 'ansible.builtin.unarchive: {src: nope.tgz, dest: /srv}', 'nope.tgz'],
      ['unarchive include (not offered)', 'ansible.builtin.unarchive: {src: a.tar, dest: /srv, include: [x]}', 'include'],
      ['unarchive URL', 'ansible.builtin.unarchive: {src: "https://example.com/a.tgz", dest: /srv, remote_src: true}', 'get_url'],
      ['unarchive relative dest', 'ansible.builtin.unarchive: {src: a.tar, dest: srv}', 'dest must be an absolute path'],
    ];
    for (const [what, bad, message] of cases) {
      it(what, { timeout: 30_000 }, async () => {
        const marker = `/tmp/fab-touched-${id}`;
        const file = `bad-${randomBytes(3).toString('hex')}.yml`;
        // Line 5 holds the bad task (after a first task that would touch the host).
        writeFileSync(join(dir, file), `- hosts: ${H}\n  gather_facts: false\n  tasks:\n    - command: touch ${marker}\n    - ${bad}\n      name: bad\n`);
        const r = await runFabric(['play', file, '-i', lab.inventoryPath], { cwd: dir, env: { FABRIC_NO_FRAMES: '1' } });
        expect(r.code, r.stdout + r.stderr).toBe(5);
        expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace('.', '\\.')}:5:.*`, 'm'));
        expect(r.stderr).toContain(message);
        expect((await labExecCapture(H, ['test', '-e', marker], { repoRoot: REPO, name: lab.name })).code).toBe(1);
      });
    }
  });
});

// The fstab edit against Ansible's own mount module (Debian's ansible, as the other oracle tests
// use): present and absent only edit the given fstab file (absent's mount points do not exist), so
// ansible-playbook runs them on this machine safely. Same bytes and changed flag, twice.
describe('fstab edits are byte for byte those of ansible.posix.mount', () => {
  const gone = `/fab-oracle-${id}`;
  const cases: { start: string; args: Omit<MountArgs, 'fstab'> }[] = [
    { start: '', args: { path: `${gone}/a`, src: '/dev/sdb1', fstype: 'ext4', state: 'present' } },
    { start: `/dev/sdb1 ${gone}/a ext4 defaults 0 0\n`, args: { path: `${gone}/a`, src: '/dev/sdb1', fstype: 'ext4', state: 'present' } },
    { start: `# comment\n\n/dev/sdb1 ${gone}/a ext4 ro 0 0\nUUID=x / ext4 defaults 0 1\n`, args: { path: `${gone}/a`, src: '/dev/sdb1', fstype: 'ext4', opts: 'rw,noatime', state: 'present' } },
    { start: `/dev/sdb1 ${gone}/a ext4 defaults\n`, args: { path: `${gone}/a`, src: '/dev/sdb1', fstype: 'ext4', state: 'present' } },
    { start: `UUID=x / ext4 defaults 0 1`, args: { path: `${gone}/a`, src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', dump: 1, passno: '2', state: 'present' } },
    { start: '', args: { path: `${gone}/with space`, src: '//srv/share&x', fstype: 'cifs', state: 'present' } },
    { start: '', args: { path: `${gone}/b`, src: '/dev/sdc', fstype: 'xfs', opts: 'ro', boot: false, state: 'present' } },
    { start: '', args: { path: `${gone}/b`, src: '/dev/sdc', fstype: 'xfs', boot: false, state: 'present' } },
    { start: `/dev/sdb1 ${gone}/a ext4 defaults 0 0\n/dev/sdb1 ${gone}/a ext4 defaults\n# /dev/sdb1 ${gone}/a ext4 defaults 0 0\n`, args: { path: `${gone}/a`, state: 'absent' } },
    { start: `/dev/sda2 none swap sw 0 0\n/dev/sda3 none swap sw 0 0\n`, args: { path: 'none', src: '/dev/sda3', fstype: 'swap', state: 'absent' } },
    { start: `/dev/sda2 none swap sw 0 0\n`, args: { path: 'none', src: '/dev/sda3', fstype: 'swap', opts: 'sw', state: 'present' } },
    { start: `/dev/sda2 none swap sw 0 0\n`, args: { path: `${gone}/nothing`, state: 'absent' } },
  ];
  // Made in the test, not at collection: a filtered run that skips it leaves nothing behind.
  let root = '';
  afterAll(() => root && rmSync(root, { recursive: true, force: true }));

  it('for every case, after a first and a second run', { timeout: 120_000 }, async () => {
    root = mkdtempSync(join(tmpdir(), 'fabric-fstab-oracle-'));
    const file = (i: number) => join(root, `fstab${i}`);
    cases.forEach((c, i) => writeFileSync(file(i), c.start));
    const play = join(root, 'play.yml');
    const tasks = cases.map((c, i) => `    - ansible.posix.mount: ${JSON.stringify({ ...c.args, fstab: file(i) })}\n`).join('');
    writeFileSync(play, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks}`);
    const ansible = (): boolean[] => {
      const out = execFileSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', play], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: '0' },
      });
      const report = JSON.parse(out.slice(out.indexOf('{'))) as { plays: { tasks: { hosts: { localhost: { changed?: boolean; failed?: boolean; msg?: string } } }[] }[] };
      return report.plays[0]!.tasks.map((t) => {
        expect(t.hosts.localhost.failed, t.hosts.localhost.msg).toBeFalsy();
        return !!t.hosts.localhost.changed;
      });
    };
    const fabric = (text: string, a: Omit<MountArgs, 'fstab'>) => {
      const { entry } = mountEntry(a as MountArgs);
      return a.state === 'absent' ? unsetMount(text, entry.name, entry.src) : setMount(text, entry);
    };
    for (let pass = 0; pass < 2; pass++) {
      const before = cases.map((_c, i) => readFileSync(file(i), 'utf8'));
      const changed = ansible();
      cases.forEach((c, i) => {
        const ours = fabric(before[i]!, c.args);
        expect({ i, changed: ours.changed, text: ours.text }).toEqual({ i, changed: changed[i], text: readFileSync(file(i), 'utf8') });
      });
    }
  });
});
