import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadInventoryText } from '../../src/inventory/index.js';
import { planAddGroup, planAddHost, planRemoveGroup, planRemoveHost, planSetVars, planUnsetVars, type EditPlan } from '../../src/inventory/edits.js';
import { applyEdits } from '../../src/inventory/text-edit.js';
import type { LoadedInventory } from '../../src/inventory/index.js';

const COMMENTED = readFileSync('test/fixtures/inventory/commented/hosts.yml', 'utf8');

function edit(text: string, plan: (inv: LoadedInventory) => EditPlan): string {
  const after = applyEdits(text, plan(loadInventoryText('x/hosts.yml', text)).ops);
  loadInventoryText('x/hosts.yml', after); // every result must load
  return after;
}

/** The text with `insert` placed right after the first occurrence of `anchor` (which ends a line). */
function withInserted(text: string, anchor: string, insert: string): string {
  const i = text.indexOf(anchor);
  expect(i).toBeGreaterThanOrEqual(0);
  return text.slice(0, i + anchor.length) + insert + text.slice(i + anchor.length);
}

function refusal(text: string, plan: (inv: LoadedInventory) => EditPlan): string {
  try {
    edit(text, plan);
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('edit was not refused');
}

describe('edits keep everything else byte-identical', () => {
  it('add-host appends to a block hosts map after comments and ~ values', () => {
    const after = edit(COMMENTED, (i) => planAddHost(i, 'w5', 'workers', { fabric_port: 2205, note: '22' }));
    expect(after).toBe(withInserted(COMMENTED, '            w4: ~', '\n            w5:\n              fabric_port: 2205\n              note: "22"'));
  });

  it('add-host to a group without hosts: creates the hosts key at the group indentation', () => {
    const after = edit(COMMENTED, (i) => planAddHost(i, 'c9', 'k8s', {}));
    expect(after).toBe(withInserted(COMMENTED, 'list: [a, b]', '\n      hosts:\n        c9:'));
  });

  it('add-host into a flow-style hosts map', () => {
    const text = 'all:\n  children:\n    web:\n      hosts: {web1: , web2: {fabric_port: 22}}  # flow\n';
    expect(edit(text, (i) => planAddHost(i, 'web3', 'web', { a: 1 }))).toBe(
      'all:\n  children:\n    web:\n      hosts: {web1: , web2: {fabric_port: 22}, web3: {a: 1}}  # flow\n',
    );
  });

  it('add-host into an empty group written `g:` and into a file without all:', () => {
    expect(edit('web:   # empty for now\ndb:\n', (i) => planAddHost(i, 'w1', 'web', {}))).toBe('web:   # empty for now\n  hosts:\n    w1:\ndb:\n');
    expect(edit('web:\n  hosts: ~\n', (i) => planAddHost(i, 'w1', 'web', {}))).toBe('web:\n  hosts:\n    w1:\n');
    expect(edit('web:\n', (i) => planAddHost(i, 'lone', 'all', {}))).toBe('web:\nall:\n  hosts:\n    lone:\n');
    expect(edit('', (i) => planAddHost(i, 'lone', 'ungrouped', {}))).toBe('all:\n  hosts:\n    lone:\n');
  });

  it('follows the file indentation step', () => {
    const text = 'all:\n    children:\n        web:\n            hosts:\n                w1:\n';
    expect(edit(text, (i) => planSetVars(i, { host: 'w1' }, { x: 1 }))).toBe(`${text.trimEnd()}\n                    x: 1\n`);
  });

  it('remove-host removes every occurrence with its inline vars and comment, keeping neighbours', () => {
    const text = 'all:\n  children:\n    a:\n      hosts:\n        h1:   # first\n          v: 1\n        h2:\n    b:\n      hosts: {h2: , h1: }\n';
    expect(edit(text, (i) => planRemoveHost(i, 'h1'))).toBe('all:\n  children:\n    a:\n      hosts:\n        h2:\n    b:\n      hosts: {h2: }\n');
    expect(edit(text, (i) => planRemoveHost(i, 'h2'))).toBe('all:\n  children:\n    a:\n      hosts:\n        h1:   # first\n          v: 1\n    b:\n      hosts: {h1: }\n');
  });

  it('add-group under all:, under a parent, and at the top level when there is no all:', () => {
    const added = edit(COMMENTED, (i) => planAddGroup(i, 'storage', 'all'));
    expect(added).toBe(withInserted(COMMENTED, '          fabric_connection: local', '\n    storage:'));
    expect(edit(COMMENTED, (i) => planAddGroup(i, 'gpu', 'workers'))).toBe(withInserted(COMMENTED, '            w4: ~', '\n          children:\n            gpu:'));
    expect(edit('web:\n  hosts: {a: }\n', (i) => planAddGroup(i, 'db'))).toBe('web:\n  hosts: {a: }\ndb:\n');
  });

  it('remove-group: refused with hosts or children unless forced; removes every definition', () => {
    expect(refusal(COMMENTED, (i) => planRemoveGroup(i, 'workers', false))).toBe("group 'workers' still has hosts w1, w2, w4");
    expect(refusal(COMMENTED, (i) => planRemoveGroup(i, 'all', true))).toBe("group 'all' is built in and cannot be removed");
    const forced = edit(COMMENTED, (i) => planRemoveGroup(i, 'workers', true));
    expect(forced).toBe(COMMENTED.replace(/        workers:\n(.*\n){5}/, ''));
    const twice = 'all:\n  children:\n    a:\n    b:\n      children:\n        a:\n';
    expect(edit(twice, (i) => planRemoveGroup(i, 'a', false))).toBe('all:\n  children:\n    b:\n      children:\n');
  });

  it('set-var replaces in place (keeping inline comments), appends, and updates flow maps', () => {
    let t = edit(COMMENTED, (i) => planSetVars(i, { group: 'k8s' }, { pod_cidr: '10.0.0.0/16' }));
    expect(t).toBe(COMMENTED.replace('pod_cidr: "10.244.0.0/16"   #', 'pod_cidr: 10.0.0.0/16   #'));
    t = edit(COMMENTED, (i) => planSetVars(i, { host: 'w1' }, { fabric_port: 2299, zone: 'a b' }));
    expect(t).toBe(COMMENTED.replace('fabric_port: 2202}', 'fabric_port: 2299, zone: a b}'));
    t = edit(COMMENTED, (i) => planSetVars(i, { host: 'w2' }, { on: 'yes', when: '2024-01-01', list: [1, 'x'] }));
    expect(t).toBe(COMMENTED.replace('            w2:\n', '            w2:\n              on: yes\n              when: 2024-01-01\n              list: [1, x]\n'));
    expect(loadInventoryText('x/hosts.yml', t).hostVars('w2')).toMatchObject({ on: 'yes', when: '2024-01-01', list: [1, 'x'] });
    t = edit(COMMENTED, (i) => planSetVars(i, { all: true }, { multi: 'a\nb', empty: null }));
    expect(t).toBe(withInserted(COMMENTED, 'iburst: true}', '\n    multi: "a\\nb"\n    empty:'));
  });

  it('set-var replaces a block value with a scalar', () => {
    const text = 'all:\n  vars:\n    ntp:\n      server: a   # c\n    z: 1\n';
    expect(edit(text, (i) => planSetVars(i, { all: true }, { ntp: 'b' }))).toBe('all:\n  vars:\n    ntp: b   # c\n    z: 1\n');
  });

  it('unset-var removes the key everywhere it is set; refuses when it is not set inline', () => {
    const t = edit(COMMENTED, (i) => planUnsetVars(i, { host: 'cp1' }, ['fabric_port', 'fabric_host']));
    expect(t).toBe(COMMENTED.replace('              fabric_host: 127.0.0.1\n              fabric_port: 2201\n', ''));
    expect(refusal(COMMENTED, (i) => planUnsetVars(i, { host: 'w2' }, ['pod_cidr']))).toBe("variable 'pod_cidr' is not set on host w2 in x/hosts.yml");
    expect(edit(COMMENTED, (i) => planUnsetVars(i, { host: 'w1' }, ['fabric_port']))).toBe(COMMENTED.replace(', fabric_port: 2202}', '}'));
  });

  it('refuses bad names, duplicates and unknown targets', () => {
    expect(refusal(COMMENTED, (i) => planAddHost(i, 'cp1', 'workers', {}))).toBe("host 'cp1' already exists");
    expect(refusal(COMMENTED, (i) => planAddGroup(i, 'k8s'))).toBe("group 'k8s' already exists");
    expect(edit(COMMENTED, (i) => planAddHost(i, 'router', 'router', {}))).toBe(withInserted(COMMENTED, 'fabric_connection: local', '\n        router:'));
    expect(refusal(COMMENTED, (i) => planAddHost(i, 'a/b', 'workers', {}))).toBe("invalid host name 'a/b'");
    expect(refusal(COMMENTED, (i) => planAddHost(i, 'n1', 'wrkers', {}))).toBe("no group 'wrkers' in x/hosts.yml");
    expect(refusal(COMMENTED, (i) => planAddGroup(i, 'my-group'))).toBe("invalid group name 'my-group'");
    expect(refusal(COMMENTED, (i) => planRemoveHost(i, 'w3'))).toBe("no host 'w3' in x/hosts.yml");
    expect(refusal(COMMENTED, (i) => planSetVars(i, { host: 'w1' }, { 'bad-name': 1 }))).toBe("invalid variable name 'bad-name'");
  });

  it('keeps CRLF line endings', () => {
    const text = 'all:\r\n  hosts:\r\n    a:   # first\r\n';
    expect(edit(text, (i) => planAddHost(i, 'b', 'all', { x: 1 }))).toBe('all:\r\n  hosts:\r\n    a:   # first\r\n    b:\r\n      x: 1\r\n');
  });

  it('refuses to edit through a YAML alias', () => {
    const text = 'all:\n  children:\n    a:\n      vars: &common {x: 1}\n    b:\n      vars: *common\n';
    expect(refusal(text, (i) => planSetVars(i, { group: 'b' }, { y: 2 }))).toMatch(/YAML alias/);
  });
});
