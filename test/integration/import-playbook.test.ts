import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// import_playbook: resolved when the playbook loads, so --list-tasks and tags are exact, and its
// tags, vars and when reach the imported plays.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
  mkdirSync(join(pd.dir, 'sub'), { recursive: true });
  writeFileSync(
    join(pd.dir, 'sub', 'child.yml'),
    `- name: child play
  hosts: nodes
  gather_facts: false
  tasks:
    - name: child task
      shell: "echo {{ who }} > {{ base }}/{{ inventory_hostname }}.child"
- import_playbook: grandchild.yml
`,
  );
  writeFileSync(
    join(pd.dir, 'sub', 'grandchild.yml'),
    `- hosts: nodes
  gather_facts: false
  tasks:
    - name: grandchild task
      command: "true"
      changed_when: false
`,
  );
});
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const top = (entry: string) => `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: top task
      command: "true"
      changed_when: false
${entry}`;

describe('import_playbook', () => {
  it('runs the imported plays in place, nested, with its vars, tags and when', async () => {
    const pb = top(`- import_playbook: sub/child.yml
  vars: {who: imported}
  tags: [child]
  when: inventory_hostname == 'n1'
`);
    const r = await pd.play(pb);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const order = ['TASK [top task]', 'TASK [child task]', 'TASK [grandchild task]'].map((t) => r.stdout.indexOf(t));
    expect(order.every((x, i) => x >= 0 && (i === 0 || x > order[i - 1]!)), r.stdout).toBe(true);
    expect(recap(r.stdout).n1).toMatchObject({ ok: 3, changed: 1 });
    expect(recap(r.stdout).n2).toMatchObject({ ok: 1, skipped: 2 });
    const tagged = await pd.play(pb, ['--tags', 'child', '--list-tasks']);
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toContain('child task');
    expect(tagged.stdout).toContain('grandchild task');
    expect(tagged.stdout).not.toContain('top task');
  });

  it('a missing file, a cycle or an unknown keyword: exit 5 at the import line', async () => {
    const missing = await pd.play(top('- import_playbook: sub/nope.yml\n'));
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/pb\.yml:8:\d+/);
    expect(missing.stderr).toContain('nope.yml');
    writeFileSync(join(pd.dir, 'loop.yml'), '- import_playbook: pb.yml\n');
    const cycle = await pd.play(top('- import_playbook: loop.yml\n'));
    expect(cycle.code).toBe(5);
    expect(cycle.stderr).toContain('imports itself');
    const bad = await pd.play(top('- import_playbook: sub/child.yml\n  hosts: nodes\n'));
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/pb\.yml:9:\d+: .*hosts/);
    for (const x of [missing, cycle, bad]) expect(x.stdout).not.toContain('TASK [');
  });

  it('check accepts what play runs', async () => {
    writeFileSync(join(pd.dir, 'ok.yml'), top('- import_playbook: sub/child.yml\n  vars: {who: x}\n'));
    const ok = await runFabric(['check', join(pd.dir, 'ok.yml'), '-i', pd.inv]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('3 plays');
  });
});
