import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/index.js';
import { buildPlan } from '../../src/plan/index.js';
import { selectedByTags } from '../../src/plan/tags.js';
import { forEachTask } from '../../src/plan/walk.js';

describe('tag selection (Ansible rules)', () => {
  const sel = (task: string[], tags: string[] = [], skipTags: string[] = []) => selectedByTags(task, { tags, skipTags });
  it('no --tags runs everything but never', () => {
    expect(sel([])).toBe(true);
    expect(sel(['router'])).toBe(true);
    expect(sel(['never'])).toBe(false);
  });
  it('--tags selects by intersection; always runs anyway; never only when named', () => {
    expect(sel(['router'], ['router'])).toBe(true);
    expect(sel(['k8s'], ['router'])).toBe(false);
    expect(sel(['always'], ['router'])).toBe(true);
    expect(sel(['never', 'debug'], ['debug'])).toBe(true);
    expect(sel(['never', 'debug'], ['router'])).toBe(false);
    expect(sel([], ['untagged'])).toBe(true);
    expect(sel(['x'], ['tagged'])).toBe(true);
    expect(sel(['x'], ['all'])).toBe(true);
  });
  it('--skip-tags wins, also over always when named', () => {
    expect(sel(['router'], [], ['router'])).toBe(false);
    expect(sel(['always'], [], ['always'])).toBe(false);
    expect(sel(['always'], ['router'], ['other'])).toBe(true);
    expect(sel(['router', 'ecmp'], ['router'], ['ecmp'])).toBe(false);
  });
});

describe('static plan: tags inherit through play, role, include and block', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const w = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  w('inventory.yml', 'all:\n  hosts:\n    a: {fabric_connection: local}\n    b: {fabric_connection: local}\n');
  w('roles/r/tasks/main.yml', '- name: role task\n  debug: {msg: r}\n- import_tasks: more.yml\n  tags: [inc]\n');
  w('roles/r/tasks/more.yml', '- name: included task\n  debug: {msg: m}\n');
  w(
    'site.yml',
    `- hosts: all
  tags: [play]
  roles:
    - {role: r, tags: [role]}
  tasks:
    - block:
        - name: in block
          debug: {msg: b}
      tags: [blk]
    - name: plain
      debug: {msg: p}
      tags: [never, dbg]
`,
  );
  const plan = (tags: string[] = [], skipTags: string[] = []) =>
    buildPlan({ playbooks: [join(dir, 'site.yml')], inventory: loadInventory(join(dir, 'inventory.yml')), tags: { tags, skipTags }, extraVars: {} });
  const names = async (tags: string[] = [], skip: string[] = []) => {
    const out: string[] = [];
    for (const s of (await plan(tags, skip)).plays[0]!.sections) forEachTask(s, (t) => out.push(`${t.info.name} [${t.tags.join(',')}]`));
    return out;
  };

  it('every task carries the tags of its play, role, include and block', async () => {
    expect(await names()).toEqual(['role task [play,role]', 'included task [play,role,inc]', 'in block [play,blk]']);
  });
  it('--tags inc selects only the included task; --tags dbg brings in the never task', async () => {
    expect(await names(['inc'])).toEqual(['included task [play,role,inc]']);
    expect(await names(['dbg'])).toEqual(['plain [play,never,dbg]']);
  });
  it('--skip-tags role drops the whole role', async () => {
    expect(await names([], ['role'])).toEqual(['in block [play,blk]']);
  });
  it('hosts come from the pattern, in inventory order', async () => {
    expect((await plan()).plays[0]!.hosts).toEqual(['a', 'b']);
  });
});
