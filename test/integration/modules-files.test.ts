import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import type { Connection } from '../../src/connection/types.js';
import blockinfile from '../../src/modules/blockinfile.js';
import copy from '../../src/modules/copy.js';
import { INLINE_WRITE_MAX } from '../../src/modules/lib/atomic.js';
import file from '../../src/modules/file.js';
import lineinfile from '../../src/modules/lineinfile.js';
import stat from '../../src/modules/stat.js';
import template from '../../src/modules/template.js';
import type { ModuleDef } from '../../src/modules/types.js';
import { moduleContext, renderedErrors, runModule, staticErrors, type HarnessOptions } from '../support/file-module-harness.js';
import { connectTestSsh, startTestSshd, type TestSshd } from '../support/sshd.js';

let sshd: TestSshd;
let roleDir: string;
beforeAll(async () => {
  sshd = await startTestSshd();
  roleDir = mkdtempSync(join(tmpdir(), 'fabric-role-'));
  mkdirSync(join(roleDir, 'files'));
  mkdirSync(join(roleDir, 'templates'));
  writeFileSync(join(roleDir, 'files', 'motd.txt'), 'welcome\n');
  writeFileSync(join(roleDir, 'templates', 'frr.conf.hbs'), 'hostname {{ hostname }}\nrouter bgp {{ asn }}\n');
  writeFileSync(join(roleDir, 'templates', 'broken.hbs'), 'hostname {{#if x}}\n');
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(roleDir, { recursive: true, force: true });
});

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const temps = (dir: string) => readdirSync(dir).filter((f) => f.includes('.fabric-'));
// Where an injected `touch pwned` would land: the shell's cwd (home over ssh, the test's cwd locally).
const pwnedPlaces = () => [homedir(), process.cwd()].flatMap((d) => ['pwned', 'pwned2', 'pwned3'].map((f) => join(d, f)));

describe.each([
  ['ssh', () => connectTestSsh(sshd)],
  ['local', async (): Promise<Connection> => new LocalConnection('local')],
] as const)('file modules over %s', (_name, open) => {
  let conn: Connection;
  let dir: string;
  beforeAll(async () => {
    conn = await open();
  });
  afterAll(async () => {
    await conn?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fabric-files-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = <A>(mod: ModuleDef<A>, args: A, o: HarnessOptions = {}) => runModule(mod, args, conn, { roleDir, ...o });
  /** The second run of anything: ok, one round trip, nothing uploaded. */
  async function expectNoop<A>(mod: ModuleDef<A>, args: A, o: HarnessOptions = {}) {
    const r = await run(mod, args, o);
    expect(r.result.failed ?? false).toBe(false);
    expect(r.result.changed).toBe(false);
    expect(r.execs).toBe(1);
    expect(r.uploads).toBe(0);
    return r;
  }

  describe('copy', () => {
    it('writes content once, then is a one-round-trip no-op', async () => {
      const dest = join(dir, 'motd');
      const r = await run(copy, { dest, content: 'hello\n', mode: '0640' });
      expect(r.result).toMatchObject({ changed: true, dest, checksum: createHash('sha1').update('hello\n').digest('hex') });
      expect([r.execs, r.uploads]).toEqual([2, 0]); // the probe, then the write with its content inline
      expect(readFileSync(dest, 'utf8')).toBe('hello\n');
      expect(mode(dest)).toBe('640');
      await expectNoop(copy, { dest, content: 'hello\n', mode: '0640' });
      await expectNoop(copy, { dest, content: 'hello\n', mode: 640 }); // YAML 1.2 reads 0640 as 640
      expect(temps(dir)).toEqual([]);
    });

    it('writes any bytes exactly: inline in the write (printf) up to INLINE_WRITE_MAX, over SFTP beyond', async () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const cases: [string, Buffer, number][] = [
        ['binary', all, 0],
        ['empty', Buffer.alloc(0), 0],
        ['two printf chunks', Buffer.alloc(4097, 'b'), 0], // 4096 bytes a printf, the rest appended
        ['no newline at the end, quotes and escapes', Buffer.from("x\n'%s' \\n \\0 %% \\\\"), 0],
        ['a leading dash', Buffer.from('-e not an option\n'), 0], // printf -- FORMAT
        ['64 KiB of text', Buffer.alloc(64 * 1024, 'config line\n'), 0],
        ['64 KiB of binary', Buffer.alloc(64 * 1024, all), 1], // four characters a byte in printf: over the limit
        ['text over the limit', Buffer.alloc(INLINE_WRITE_MAX + 1, 'x'), 1],
      ];
      for (const [name, content, uploads] of cases) {
        const dest = join(dir, name);
        const src = join(dir, `${name}.src`);
        writeFileSync(src, content);
        const r = await run(copy, { src, dest });
        expect(r.result.changed, name).toBe(true);
        expect([r.execs, r.uploads], name).toEqual([2, uploads]);
        expect(readFileSync(dest).equals(content), name).toBe(true);
        expect(mode(dest), name).toBe('644');
      }
      expect(temps(dir)).toEqual([]);
    });

    it('keeps an existing file\'s owner and mode; a symbolic mode applies to the old one, a number replaces it', async () => {
      const dest = join(dir, 'kept');
      writeFileSync(dest, 'old\n', { mode: 0o640 });
      await run(copy, { dest, content: 'new 1\n' });
      expect(mode(dest)).toBe('640');
      await run(copy, { dest, content: 'new 2\n', mode: 'g+w' });
      expect(mode(dest)).toBe('660');
      await run(copy, { dest, content: 'new 3\n', mode: '0604' });
      expect(mode(dest)).toBe('604');
      await run(copy, { dest: join(dir, 'fresh'), content: 'x\n', mode: 'u+x' });
      expect(mode(join(dir, 'fresh'))).toBe('744');
      expect(readFileSync(dest, 'utf8')).toBe('new 3\n');
    });

    it('--check reports the change and changes nothing', async () => {
      const dest = join(dir, 'f');
      writeFileSync(dest, 'old\n');
      const r = await run(copy, { dest, content: 'new\n', mode: '0600' }, { check: true });
      expect(r.result.changed).toBe(true);
      expect([r.execs, r.uploads]).toEqual([1, 0]);
      expect(readFileSync(dest, 'utf8')).toBe('old\n');
      expect(mode(dest)).toBe('644');
      const absent = join(dir, 'nope');
      expect((await run(copy, { dest: absent, content: 'x' }, { check: true })).result.changed).toBe(true);
      expect(existsSync(absent)).toBe(false);
    });

    it('--diff returns the old and new text from the same probe', async () => {
      const dest = join(dir, 'f');
      writeFileSync(dest, 'old\n');
      const r = await run(copy, { dest, content: 'new\n' }, { diff: true });
      expect(r.result.diff).toEqual([{ path: dest, before: 'old\n', after: 'new\n' }]);
      expect([r.execs, r.uploads]).toEqual([2, 0]);
      const created = await run(copy, { dest: join(dir, 'g'), content: 'x\n' }, { diff: true, check: true });
      expect(created.result.diff).toEqual([{ path: join(dir, 'g'), before: '', after: 'x\n' }]);
    });

    it('fixes only the attributes, without uploading, when the content is the same', async () => {
      const dest = join(dir, 'f');
      writeFileSync(dest, 'same\n', { mode: 0o644 });
      const r = await run(copy, { dest, content: 'same\n', mode: 'u=rw,go=', owner: 'nobody', group: 'nogroup' }, { diff: true });
      expect(r.result.changed).toBe(true);
      expect([r.execs, r.uploads]).toEqual([2, 0]);
      expect(mode(dest)).toBe('600');
      expect(statSync(dest).uid).not.toBe(0);
      expect(r.result.diff).toEqual([{ path: dest, before: 'file, mode 0644, owner root, group root\n', after: 'file, mode 0600, owner nobody, group nogroup\n' }]);
      await expectNoop(copy, { dest, content: 'same\n', mode: 'u=rw,go=', owner: 'nobody', group: 'nogroup' });
    });

    it("copies a role's files/ src, into a directory dest under its own name", async () => {
      const r = await run(copy, { src: 'motd.txt', dest: dir });
      expect(r.result).toMatchObject({ changed: true, dest: join(dir, 'motd.txt') });
      expect(readFileSync(join(dir, 'motd.txt'), 'utf8')).toBe('welcome\n');
      await expectNoop(copy, { src: 'motd.txt', dest: dir });
      await expectNoop(copy, { src: 'motd.txt', dest: join(dir, 'motd.txt') });
    });

    it('validate: a failing check fails the task and leaves dest and no temp file', async () => {
      const dest = join(dir, 'sudoers');
      writeFileSync(dest, 'good\n');
      const r = await run(copy, { dest, content: 'bad\n', validate: 'grep -q good %s' });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toMatch(/validation failed/);
      expect(readFileSync(dest, 'utf8')).toBe('good\n');
      expect(temps(dir)).toEqual([]);
      const ok = await run(copy, { dest, content: 'good too\n', validate: 'grep -q good %s' });
      expect(ok.result.changed).toBe(true);
      expect(readFileSync(dest, 'utf8')).toBe('good too\n');
    });

    it('backup keeps the previous version; force: false leaves an existing file', async () => {
      const dest = join(dir, 'f');
      writeFileSync(dest, 'v1\n');
      const r = await run(copy, { dest, content: 'v2\n', backup: true });
      const backup = r.result.backup_file as string;
      expect(readFileSync(backup, 'utf8')).toBe('v1\n');
      expect(readFileSync(dest, 'utf8')).toBe('v2\n');
      await expectNoop(copy, { dest, content: 'v3\n', force: false });
      expect(readFileSync(dest, 'utf8')).toBe('v2\n');
    });

    it('fails plainly when the destination directory is missing', async () => {
      const r = await run(copy, { dest: join(dir, 'missing', 'f'), content: 'x' });
      expect(r.result).toMatchObject({ failed: true, changed: false, msg: `Destination directory ${join(dir, 'missing')} does not exist` });
      expect([r.execs, r.uploads]).toEqual([1, 0]);
      expect((await run(copy, { src: 'motd.txt', dest: `${dir}/` })).result.changed).toBe(true);
      expect(readFileSync(join(dir, 'motd.txt'), 'utf8')).toBe('welcome\n');
    });

    it('refuses to overwrite a directory', async () => {
      const r = await run(copy, { dest: dir, content: 'x' });
      expect(r.result).toMatchObject({ failed: true, changed: false });
      expect(r.uploads).toBe(0);
    });
  });

  describe('template', () => {
    const vars = { hostname: 'r1', asn: 64512 };
    it('renders with the host vars, then is a no-op', async () => {
      const dest = join(dir, 'frr.conf');
      const r = await run(template, { src: 'frr.conf.hbs', dest, mode: '0640' }, { vars });
      expect(r.result.changed).toBe(true);
      expect(readFileSync(dest, 'utf8')).toBe('hostname r1\nrouter bgp 64512\n');
      await expectNoop(template, { src: 'frr.conf.hbs', dest, mode: '0640' }, { vars });
      const d = await run(template, { src: 'frr.conf.hbs', dest }, { vars: { ...vars, asn: 65000 }, diff: true, check: true });
      expect(d.result.diff).toEqual([{ path: dest, before: 'hostname r1\nrouter bgp 64512\n', after: 'hostname r1\nrouter bgp 65000\n' }]);
      expect(readFileSync(dest, 'utf8')).toContain('64512');
    });

    it('validate runs on the rendered temp file before it replaces dest', async () => {
      const dest = join(dir, 'frr.conf');
      writeFileSync(dest, 'keep\n');
      const r = await run(template, { src: 'frr.conf.hbs', dest, validate: 'grep -q "router bgp 1$" %s' }, { vars });
      expect(r.result.failed).toBe(true);
      expect(readFileSync(dest, 'utf8')).toBe('keep\n');
      expect(temps(dir)).toEqual([]);
    });
  });

  describe('file', () => {
    it('directory: creates with mode, then no-op; recurse fixes everything below', async () => {
      const path = join(dir, 'a', 'b');
      const r = await run(file, { path, state: 'directory', mode: '0750' }, { diff: true });
      expect(r.result).toMatchObject({ changed: true, state: 'directory' });
      expect(r.result.diff).toEqual([{ path, before: 'absent\n', after: 'directory, mode 0750\n' }]);
      expect(mode(path)).toBe('750');
      await expectNoop(file, { path, state: 'directory', mode: '0750' });
      writeFileSync(join(path, 'x'), '');
      mkdirSync(join(path, 'sub'));
      const rec = { path, state: 'directory' as const, recurse: true, owner: 'nobody', mode: 'u=rwX,g=rX,o=' };
      expect((await run(file, rec)).result.changed).toBe(true);
      expect(statSync(join(path, 'sub')).uid).toBe(statSync(path).uid);
      expect(mode(join(path, 'x'))).toBe('640');
      expect(mode(join(path, 'sub'))).toBe('750');
      await expectNoop(file, rec);
      writeFileSync(join(path, 'sub', 'new'), ''); // one entry deep below differs again
      expect((await run(file, rec)).result.changed).toBe(true);
    });

    it('--check creates nothing; absent removes, then no-op', async () => {
      const path = join(dir, 'd');
      expect((await run(file, { path, state: 'directory' }, { check: true })).result.changed).toBe(true);
      expect(existsSync(path)).toBe(false);
      mkdirSync(path);
      writeFileSync(join(path, 'f'), 'x');
      expect((await run(file, { path, state: 'absent' }, { check: true })).result.changed).toBe(true);
      expect(existsSync(path)).toBe(true);
      const r = await run(file, { path, state: 'absent' }, { diff: true });
      expect(r.result.diff).toEqual([{ path, before: 'directory, mode 0755, owner root, group root\n', after: 'absent\n' }]);
      expect(existsSync(path)).toBe(false);
      await expectNoop(file, { path, state: 'absent' });
    });

    it('state file: fails on a missing path, fixes attributes of an existing one', async () => {
      const path = join(dir, 'f');
      const missing = await run(file, { path, state: 'file' });
      expect(missing.result).toMatchObject({ failed: true, changed: false });
      expect(missing.result.msg).toMatch(/is absent, cannot continue/);
      writeFileSync(path, 'x', { mode: 0o644 });
      expect((await run(file, { dest: path, mode: '0600' })).result.changed).toBe(true);
      expect(mode(path)).toBe('600');
      await expectNoop(file, { name: path, mode: '0600' });
    });

    it('touch creates the file and always reports changed', async () => {
      const path = join(dir, 't');
      expect((await run(file, { path, state: 'touch', mode: '0600' })).result.changed).toBe(true);
      expect(mode(path)).toBe('600');
      expect((await run(file, { path, state: 'touch', mode: '0600' })).result.changed).toBe(true);
    });

    it('link: creates, no-op, refuses a missing src or a file unless forced', async () => {
      const target = join(dir, 'target');
      writeFileSync(target, 'x');
      const path = join(dir, 'l');
      expect((await run(file, { path, src: target, state: 'link' })).result.changed).toBe(true);
      expect(readlinkSync(path)).toBe(target);
      await expectNoop(file, { path, src: target, state: 'link' });
      const missing = await run(file, { path, src: join(dir, 'missing'), state: 'link' });
      expect(missing.result.failed).toBe(true);
      expect(readlinkSync(path)).toBe(target);
      expect((await run(file, { path, src: 'target', state: 'link' })).result.changed).toBe(true); // relative to the link
      expect(readlinkSync(path)).toBe('target');
      const plain = join(dir, 'plain');
      writeFileSync(plain, 'y');
      expect((await run(file, { path: plain, src: target, state: 'link' })).result.failed).toBe(true);
      expect((await run(file, { path: plain, src: target, state: 'link', force: true })).result.changed).toBe(true);
      expect(lstatSync(plain).isSymbolicLink()).toBe(true);
      expect(temps(dir)).toEqual([]);
    });
  });

  describe('stat', () => {
    it('reports files, directories, links and absence without changing anything', async () => {
      const f = join(dir, 'f');
      writeFileSync(f, 'data\n', { mode: 0o640 });
      symlinkSync(f, join(dir, 'l'));
      const r = await run(stat, { path: f }, { check: true });
      expect([r.execs, r.uploads]).toEqual([1, 0]);
      expect(r.result).toMatchObject({
        changed: false,
        stat: { exists: true, isreg: true, isdir: false, islnk: false, mode: '0640', pw_name: 'root', gr_name: 'root', size: 5, checksum: sha256('data\n') },
      });
      const sha1 = await run(stat, { path: f, checksum_algorithm: 'sha1' });
      expect((sha1.result.stat as { checksum: string }).checksum).toBe(createHash('sha1').update('data\n').digest('hex'));
      expect((await run(stat, { path: f, get_checksum: false })).result.stat).not.toHaveProperty('checksum');
      expect((await run(stat, { path: dir })).result.stat).toMatchObject({ exists: true, isdir: true });
      expect((await run(stat, { path: join(dir, 'l') })).result.stat).toMatchObject({ islnk: true, lnk_target: f, lnk_source: f });
      expect((await run(stat, { path: join(dir, 'l'), follow: true })).result.stat).toMatchObject({ islnk: false, isreg: true });
      expect((await run(stat, { path: join(dir, 'none') })).result).toEqual({ changed: false, stat: { exists: false } });
    });
  });

  describe('lineinfile', () => {
    it('replaces by regexp, then no-op; --check and --diff; create', async () => {
      const path = join(dir, 'sshd_config');
      writeFileSync(path, 'Port 22\nPermitRootLogin yes\n');
      const args = { path, regexp: '^#?PermitRootLogin', line: 'PermitRootLogin prohibit-password' };
      const chk = await run(lineinfile, args, { check: true, diff: true });
      expect(chk.result.changed).toBe(true);
      expect(chk.result.diff).toEqual([{ path, before: 'Port 22\nPermitRootLogin yes\n', after: 'Port 22\nPermitRootLogin prohibit-password\n' }]);
      expect([chk.execs, chk.uploads]).toEqual([1, 0]);
      expect(readFileSync(path, 'utf8')).toBe('Port 22\nPermitRootLogin yes\n');
      const r = await run(lineinfile, args);
      expect(r.result).toMatchObject({ changed: true, msg: 'line replaced' });
      expect(readFileSync(path, 'utf8')).toBe('Port 22\nPermitRootLogin prohibit-password\n');
      await expectNoop(lineinfile, args);
      const missing = await run(lineinfile, { path: join(dir, 'new', 'conf'), line: 'x=1' });
      expect(missing.result).toMatchObject({ failed: true, rc: 257 });
      const created = await run(lineinfile, { path: join(dir, 'new', 'conf'), line: 'x=1', create: true, mode: '0600' });
      expect(created.result.changed).toBe(true);
      expect(readFileSync(join(dir, 'new', 'conf'), 'utf8')).toBe('x=1\n');
      expect(mode(join(dir, 'new', 'conf'))).toBe('600');
      expect((await run(lineinfile, { path, line: 'Port 22', state: 'absent' })).result).toMatchObject({ changed: true, found: 1 });
      expect(readFileSync(path, 'utf8')).toBe('PermitRootLogin prohibit-password\n');
    });

    it('edits the target of a symlink and keeps the link', async () => {
      const real = join(dir, 'real');
      writeFileSync(real, 'a\n');
      symlinkSync(real, join(dir, 'link'));
      expect((await run(lineinfile, { path: join(dir, 'link'), line: 'b' })).result.changed).toBe(true);
      expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
      expect(readFileSync(real, 'utf8')).toBe('a\nb\n');
      await expectNoop(lineinfile, { path: join(dir, 'link'), line: 'b' });
    });
  });

  describe('blockinfile', () => {
    it('inserts, no-op, replaces, removes', async () => {
      const path = join(dir, 'hosts');
      writeFileSync(path, '127.0.0.1 localhost\n');
      const args = { path, block: '10.0.0.1 cp1\n10.0.0.2 w1' };
      expect((await run(blockinfile, args)).result).toMatchObject({ changed: true, msg: 'Block inserted' });
      expect(readFileSync(path, 'utf8')).toBe(
        '127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 cp1\n10.0.0.2 w1\n# END ANSIBLE MANAGED BLOCK\n',
      );
      await expectNoop(blockinfile, args);
      const d = await run(blockinfile, { path, block: '10.0.0.1 cp1' }, { diff: true });
      expect(d.result.diff![0]!.after).toBe('127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 cp1\n# END ANSIBLE MANAGED BLOCK\n');
      expect((await run(blockinfile, { path, state: 'absent' })).result.changed).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe('127.0.0.1 localhost\n');
      await expectNoop(blockinfile, { path, state: 'absent' });
    });
  });

  it('keeps hostile paths and values literal in every module', async () => {
    const before = pwnedPlaces().filter(existsSync);
    const evil = join(dir, "-x 'q' $(touch pwned) `touch pwned2`; touch pwned3 \n end");
    const line = "$(touch pwned) `touch pwned2`; touch pwned3 'q' \"d\"";
    expect((await run(file, { path: evil, state: 'directory', mode: '0700' })).result.changed).toBe(true);
    const dest = join(evil, "f'$(touch pwned)`touch pwned2`");
    expect((await run(copy, { dest, content: line, owner: 'root', group: 'root' })).result.changed).toBe(true);
    expect(readFileSync(dest, 'utf8')).toBe(line);
    await expectNoop(copy, { dest, content: line });
    expect((await run(lineinfile, { path: dest, line, regexp: '^\\$' })).result.changed).toBe(true);
    await expectNoop(lineinfile, { path: dest, line, regexp: '^\\$' });
    expect((await run(blockinfile, { path: dest, block: line, marker: "# {mark} $(touch pwned) '" })).result.changed).toBe(true);
    expect((await run(stat, { path: dest })).result.stat).toMatchObject({ exists: true, isreg: true });
    expect((await run(file, { path: join(evil, 'ln'), src: dest, state: 'link' })).result.changed).toBe(true);
    expect(readlinkSync(join(evil, 'ln'))).toBe(dest);
    expect((await run(file, { path: evil, state: 'absent' })).result.changed).toBe(true);
    expect(existsSync(evil)).toBe(false);
    expect(pwnedPlaces().filter(existsSync)).toEqual(before);
  });
});

describe('argument checks before any host is touched', () => {
  it('rejects a typo with a did-you-mean hint', () => {
    expect(staticErrors(copy, { dset: '/etc/x', content: 'x' })).toEqual(
      expect.arrayContaining([expect.stringContaining("unknown key 'dset' in copy (did you mean 'dest'?)")]),
    );
    expect(staticErrors(file, { path: '/x', stat: 'directory' }).join('\n')).toContain("did you mean 'state'?");
    expect(staticErrors(lineinfile, { path: '/x', line: 'a', regex: 'a' }).join('\n')).toContain("did you mean 'regexp'?");
  });

  it('rejects wrong types, values and combinations', () => {
    expect(staticErrors(file, { path: '/x', state: 'dir' }).join('\n')).toMatch(/must be one of/);
    expect(staticErrors(copy, { dest: '/x', content: 'a', src: 'motd.txt' }, roleDir).join('\n')).toMatch(/exactly one of src or content/);
    expect(staticErrors(copy, { dest: '/x', src: 'nope.txt' }, roleDir).join('\n')).toMatch(/file 'nope.txt' not found \(looked in .*\/files\/nope.txt/);
    expect(staticErrors(copy, { dest: '/x', content: 'a', mode: 'rwxr-xr-x' }).join('\n')).toMatch(/neither octal/);
    expect(staticErrors(copy, { dest: '/x', content: 'a', validate: 'visudo -c' }).join('\n')).toMatch(/must contain %s/);
    expect(staticErrors(template, { src: 'missing.hbs', dest: '/x' }, roleDir).join('\n')).toMatch(/not found/);
    expect(staticErrors(template, { src: 'broken.hbs', dest: '/x' }, roleDir)).not.toEqual([]);
    expect(staticErrors(template, { src: 'frr.conf.hbs', dest: '/x' }, roleDir)).toEqual([]);
    expect(staticErrors(lineinfile, { path: '/x', line: 'a', regexp: '(' }).join('\n')).toMatch(/not a valid regular expression/);
    expect(staticErrors(lineinfile, { path: '/x', state: 'present' }).join('\n')).toMatch(/line is required/);
    expect(staticErrors(lineinfile, { path: '/x', line: 'a', insertafter: 'x', insertbefore: 'y' }).join('\n')).toMatch(/lineinfile: insertafter and insertbefore are mutually exclusive/);
    expect(staticErrors(blockinfile, { path: '/x', block: 'a', insertafter: '[' }).join('\n')).toMatch(/blockinfile: insertafter is not a valid regular expression/);
    expect(staticErrors(blockinfile, { path: '/x', block: 'a', insertafter: 'EOF', insertbefore: 'BOF' }).join('\n')).toMatch(/mutually exclusive/);
    expect(staticErrors(blockinfile, { path: '/x', block: 'a', insertbefore: 'BOF' })).toEqual([]);
    expect(staticErrors(file, { path: '/x', state: 'link' }).join('\n')).toMatch(/needs src/);
    expect(staticErrors(file, { path: '//', state: 'absent' }).join('\n')).toMatch(/refusing to remove \//);
    expect(staticErrors(stat, {}).join('\n')).toMatch(/required/);
    expect(staticErrors(blockinfile, { path: '/x', marker: '# managed' }).join('\n')).toMatch(/\{mark\}/);
  });
});

describe('templated arguments', () => {
  it('are left to the run statically, and checked again once rendered', async () => {
    expect(staticErrors(copy, { dest: '/x', src: '{{ conf }}', mode: '{{ m }}' }, roleDir)).toEqual([]);
    expect(staticErrors(lineinfile, { path: '/x', line: 'a', regexp: '{{ re }}' })).toEqual([]);
    expect(staticErrors(file, { path: '/x', state: '{{ s }}' as never, src: '/y' })).toEqual([]);
    // Rendered, the same checks judge every value (the engine runs them before the module: no host is touched).
    expect(renderedErrors(file, { path: '/tmp/x', state: 'dir' }, roleDir).join('\n')).toMatch(/must be one of/);
    expect(renderedErrors(copy, { dest: '/tmp/x', src: 'missing.txt' }, roleDir).join('\n')).toMatch(/not found/);
    expect(renderedErrors(copy, { dest: '/tmp/x', content: 'a', mode: 'rwx' }, roleDir).join('\n')).toMatch(/neither octal/);
  });
});

describe('copy atomicity over a cut connection', () => {
  it('leaves the old content when the connection dies mid-upload; the next probe removes the temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabric-cut-'));
    try {
      const dest = join(dir, 'big');
      writeFileSync(dest, 'old\n');
      const conn = await connectTestSsh(sshd);
      // Our shell's parent is this connection's sshd process: killing it cuts the connection for real.
      const sshdPid = Number((await conn.exec('echo $PPID')).stdout.trim());
      const content = 'x'.repeat(20 * 1024 * 1024);
      const p = runModule(copy, { dest, content }, conn);
      const outcome = p.then(
        () => 'finished',
        (e: Error) => e.name,
      );
      for (let i = 0; i < 2000 && !temps(dir).some((f) => statSync(join(dir, f)).size > 0); i++) await new Promise((r) => setTimeout(r, 2));
      process.kill(sshdPid, 'SIGKILL');
      expect(await outcome).toMatch(/UnreachableError|Error/);
      expect(readFileSync(dest, 'utf8')).toBe('old\n');
      const left = temps(dir);
      expect(left).toHaveLength(1);
      expect(statSync(join(dir, left[0]!)).size).toBeLessThan(content.length);
      await conn.close().catch(() => undefined);

      const again = await connectTestSsh(sshd);
      const r = await runModule(copy, { dest, content: 'new\n' }, again);
      expect(r.result.changed).toBe(true);
      expect(temps(dir)).toEqual([]);
      expect(readFileSync(dest, 'utf8')).toBe('new\n');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
