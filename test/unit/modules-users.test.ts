import { describe, expect, it } from 'vitest';
import { findGroup, parseGroupDb, parsePasswdLine } from '../../src/modules/lib/accounts.js';
import { editAuthorizedKeys, parseKey, parseOptions } from '../../src/modules/lib/ssh-keys.js';
import authorizedKey from '../../src/modules/authorized_key.js';
import group, { groupCommand } from '../../src/modules/group.js';
import user, { groupList, userPlan, userScript, type Account } from '../../src/modules/user.js';
import { argErrors } from '../support/module-harness.js';

const DB = parseGroupDb('root:x:0:\nalice:x:1001:\ndevs:x:2000:alice,bob\nops:x:2001:bob\nalice2:x:1002:\n');
const alice = parsePasswdLine('alice:x:1001:1001:Alice A:/home/alice:/bin/sh')!;
const acct = (o: Partial<Account> = {}): Account => ({ entry: alice, homeExists: true, ...o });
const staticErr = (mod: { validate?: (a: never, c: never) => void }, a: unknown) => {
  try {
    mod.validate?.(a as never, {} as never);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

describe('account databases', () => {
  it('parses passwd and group lines; looks a group up as a gid first, then by name', () => {
    expect(alice).toEqual({ name: 'alice', uid: 1001, gid: 1001, comment: 'Alice A', home: '/home/alice', shell: '/bin/sh' });
    expect(parsePasswdLine('broken')).toBeUndefined();
    expect(DB.find((g) => g.name === 'devs')).toEqual({ name: 'devs', gid: 2000, members: ['alice', 'bob'] });
    expect(findGroup(DB, 2001)?.name).toBe('ops');
    expect(findGroup(DB, '2000')?.name).toBe('devs');
    expect(findGroup(DB, 'nope')).toBeUndefined();
    expect(groupList('devs, ops,')).toEqual(['devs', 'ops']);
  });
});

describe('group plan', () => {
  it('adds, changes only the gid, deletes, and does nothing when in shape', () => {
    expect(groupCommand({ name: 'g', gid: 5, system: true }, undefined)).toEqual(['groupadd', '-g', '5', '-r', 'g']);
    expect(groupCommand({ name: 'g', gid: 5, non_unique: true }, { gid: 4 })).toEqual(['groupmod', '-g', '5', '-o', 'g']);
    expect(groupCommand({ name: 'g', gid: '4', system: true }, { gid: 4 })).toBeUndefined();
    expect(groupCommand({ name: 'g' }, { gid: 4 })).toBeUndefined();
    expect(groupCommand({ name: 'g', state: 'absent' }, { gid: 4 })).toEqual(['groupdel', 'g']);
    expect(groupCommand({ name: 'g', state: 'absent' }, undefined)).toBeUndefined();
  });
  it('refuses what it does not implement and bad names before any host', () => {
    expect(argErrors(group, { name: 'g', local: true }).join()).toMatch(/local/);
    expect(argErrors(group, { name: 'g', gid: 'x1' }).join()).toMatch(/pattern|must/);
    expect(staticErr(group, { name: 'a:b' })).toMatch(/not a valid name/);
    expect(staticErr(group, { name: '1234' })).toMatch(/not a valid name/);
    expect(staticErr(group, { name: 'g', non_unique: true })).toMatch(/needs gid/);
    expect(staticErr(group, { name: '{{ g }}' })).toBeUndefined();
  });
});

describe('user plan', () => {
  it('creates with useradd as Ansible builds it (-N when a group of that name exists), the hash apart from the command line', () => {
    const p = userPlan({ name: 'alice2', uid: 3000, groups: ['devs'], comment: 'A', shell: '/bin/bash', password: '$6$x$y', password_lock: true, system: true }, { homeExists: false }, DB);
    expect(p.argv).toEqual(['useradd', '-u', '3000', '-N', '-G', 'devs', '-c', 'A', '-s', '/bin/bash', '-m', '-r', 'alice2']);
    expect(p.hash).toBe('!$6$x$y');
    const s = userScript({ name: 'alice2', password: '$6$x$y' }, p);
    expect(s).toContain("printf '%s:%s\\n' alice2 '!$6$x$y' | chpasswd -e");
    expect(s).not.toMatch(/useradd[^\n]*\$6/);
    expect(userPlan({ name: 'carol', create_home: false, group: 'devs' }, { homeExists: false }, DB).argv).toEqual(['useradd', '-g', 'devs', '-M', 'carol']);
  });
  it('changes only what differs; nothing when in shape', () => {
    expect(userPlan({ name: 'alice', uid: 1001, comment: 'Alice A', shell: '/bin/sh', groups: ['devs'] }, acct(), DB)).toEqual({});
    expect(userPlan({ name: 'alice', uid: 1005, shell: '/bin/bash', group: 'devs', home: '/srv/a', move_home: true }, acct({ homeExists: true }), DB).argv).toEqual([
      'usermod', '-u', '1005', '-g', '2000', '-d', '/srv/a', '-m', '-s', '/bin/bash', 'alice',
    ]);
  });
  it('groups: set exactly, append only what is missing, [] removes all (not with append); by gid or name', () => {
    expect(userPlan({ name: 'alice', groups: ['ops'] }, acct(), DB).argv).toEqual(['usermod', '-G', 'ops', 'alice']);
    expect(userPlan({ name: 'alice', groups: ['ops'], append: true }, acct(), DB).argv).toEqual(['usermod', '-a', '-G', 'ops', 'alice']);
    expect(userPlan({ name: 'alice', groups: [], append: true }, acct(), DB).argv).toBeUndefined();
    expect(userPlan({ name: 'alice', groups: '' }, acct(), DB).argv).toEqual(['usermod', '-G', '', 'alice']);
    expect(userPlan({ name: 'alice', groups: ['2000'] }, acct(), DB).argv).toBeUndefined();
    expect(userPlan({ name: 'alice', groups: ['nope'] }, acct(), DB).error).toBe('Group nope does not exist');
    expect(userPlan({ name: 'alice', group: 'nope' }, acct(), DB).error).toBe('Group nope does not exist');
  });
  it('password: compared without the lock mark; lock and unlock; on_create leaves it', () => {
    expect(userPlan({ name: 'alice', password: '$6$a' }, acct({ hash: '!$6$a' }), DB)).toEqual({});
    expect(userPlan({ name: 'alice', password: '$6$b' }, acct({ hash: '$6$a' }), DB).hash).toBe('$6$b');
    expect(userPlan({ name: 'alice', password: '$6$b', update_password: 'on_create' }, acct({ hash: '$6$a' }), DB)).toEqual({});
    expect(userPlan({ name: 'alice', password_lock: true }, acct({ hash: '$6$a' }), DB).argv).toEqual(['usermod', '-L', 'alice']);
    expect(userPlan({ name: 'alice', password_lock: false }, acct({ hash: '!$6$a' }), DB).argv).toEqual(['usermod', '-U', 'alice']);
    const p = userPlan({ name: 'alice', password: '$6$b', password_lock: true }, acct({ hash: '$6$a' }), DB);
    expect(p).toEqual({ hash: '!$6$b' });
  });
  it('a missing home is made for an existing user (create_home), not otherwise; absent: userdel with -f/-r', () => {
    expect(userPlan({ name: 'alice' }, acct({ homeExists: false }), DB)).toEqual({ makeHome: '/home/alice' });
    expect(userPlan({ name: 'alice', create_home: false }, acct({ homeExists: false }), DB)).toEqual({});
    expect(userPlan({ name: 'alice', state: 'absent', remove: true, force: true }, acct(), DB).argv).toEqual(['userdel', '-f', '-r', 'alice']);
    expect(userPlan({ name: 'nobody2', state: 'absent' }, { homeExists: false }, DB)).toEqual({});
  });
  it('refuses unimplemented arguments and bad values before any host; never shows the hash', () => {
    for (const k of ['expires', 'generate_ssh_key', 'local', 'skeleton']) expect(argErrors(user, { name: 'a', [k]: 'x' }).join(), k).toMatch(new RegExp(k));
    expect(staticErr(user, { name: 'a', password: 'secret:x' })).toBe('user: password must be a crypted hash (no colon or newline)');
    expect(staticErr(user, { name: 'a', home: 'rel' })).toMatch(/absolute/);
    expect(staticErr(user, { name: 'a', comment: 'a:b' })).toMatch(/colon/);
    expect(staticErr(user, { name: '-rf' })).toMatch(/not a valid name/);
  });
});

const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOne';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAITwo';
const edit = (text: string, key: string, o: Partial<Parameters<typeof editAuthorizedKeys>[2]> = {}) => editAuthorizedKeys(text, key, { state: 'present', exclusive: false, ...o });

describe('authorized_keys editing (Ansible enforce_state)', () => {
  it('parses options (commas inside quotes kept), type, blob, comment', () => {
    expect(parseOptions('no-pty,command="a,b",permitopen="x:1",permitopen="y:2"')).toEqual([['no-pty', null], ['command', '"a,b"'], ['permitopen', '"x:1"'], ['permitopen', '"y:2"']]);
    expect(parseKey(`from="10.0.0.1" ssh-ed25519 ${K1} me@host extra`, 0)).toEqual({ key: K1, type: 'ssh-ed25519', options: [['from', '"10.0.0.1"']], comment: 'me@host extra', rank: 0 });
    expect(parseKey('# ssh-ed25519 x', 0)).toBe('raw');
    expect(parseKey('ssh-foo AAA', 0)).toBeUndefined();
    expect(parseKey('ssh-rsa', 0)).toBeUndefined();
  });
  it('appends a new key after the others, keeps comments and other lines; a rerun changes nothing', () => {
    const text = `# managed\nssh-ed25519 ${K2} two\n`;
    const r = edit(text, `ssh-ed25519 ${K1} one`);
    expect(r).toEqual({ changed: true, text: `# managed\nssh-ed25519 ${K2} two\nssh-ed25519 ${K1} one\n` });
    expect(edit(r.text, `ssh-ed25519 ${K1} one`)).toEqual({ changed: false, text: r.text });
    // A key without comment is written with a trailing space, as Ansible writes it.
    expect(edit('', `ssh-ed25519 ${K1}`).text).toBe(`ssh-ed25519 ${K1} \n`);
  });
  it('a key with other options or comment is replaced (moved last); options order does not matter', () => {
    const text = `ssh-ed25519 ${K1} one\nssh-ed25519 ${K2} two\n`;
    expect(edit(text, `ssh-ed25519 ${K1} one`, { keyOptions: 'no-pty' }).text).toBe(`ssh-ed25519 ${K2} two\nno-pty ssh-ed25519 ${K1} one\n`);
    expect(edit(`a,b ssh-ed25519 ${K1} one\n`, `ssh-ed25519 ${K1} one`, { keyOptions: 'b,a' }).changed).toBe(false);
    expect(edit(text, `ssh-ed25519 ${K1} new`).text).toBe(`ssh-ed25519 ${K2} two\nssh-ed25519 ${K1} new\n`);
    expect(edit(text, `ssh-ed25519 ${K1} x`, { comment: 'one' }).changed).toBe(false);
  });
  it('absent removes by blob whatever its options; exclusive keeps only the keys given', () => {
    const text = `# c\nno-pty ssh-ed25519 ${K1} one\nssh-ed25519 ${K2} two\n`;
    expect(edit(text, `ssh-ed25519 ${K1}`, { state: 'absent' }).text).toBe(`# c\nssh-ed25519 ${K2} two\n`);
    expect(edit(text, `ssh-ed25519 ${K1}`, { state: 'absent', exclusive: true }).text).toBe(`# c\nssh-ed25519 ${K2} two\n`);
    expect(edit('', `ssh-ed25519 ${K1}`, { state: 'absent' })).toEqual({ changed: false, text: '' });
    expect(edit(text, `ssh-ed25519 ${K2} two`, { exclusive: true }).text).toBe(`ssh-ed25519 ${K2} two\n`);
  });
  it('several keys at once, blank and # lines of the argument skipped; a bad key is refused before any host', () => {
    const r = edit('', `ssh-ed25519 ${K1} one\n\n# note\nssh-ed25519 ${K2} two\n`);
    expect(r.text).toBe(`ssh-ed25519 ${K1} one\nssh-ed25519 ${K2} two\n`);
    expect(() => edit('', 'not a key')).toThrow('invalid key specified: not a key');
    expect(staticErr(authorizedKey, { user: 'a', key: 'not a key' })).toBe('authorized_key: invalid key specified: not a key');
    expect(staticErr(authorizedKey, { user: 'a', key: 'https://github.com/a.keys' })).toMatch(/URL is not supported/);
    expect(staticErr(authorizedKey, { user: 'a', key: `ssh-ed25519 ${K1}`, path: 'rel/keys' })).toMatch(/absolute/);
    expect(argErrors(authorizedKey, { user: 'a', key: `ssh-ed25519 ${K1}`, follow: true }).join()).toMatch(/follow/);
  });
  it('a last line without newline gets one before a key is appended (Ansible would glue them)', () => {
    expect(edit('# c', `ssh-ed25519 ${K1} one`).text).toBe(`# c\nssh-ed25519 ${K1} one\n`);
  });
});
