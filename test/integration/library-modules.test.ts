import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recap, runFabric } from '../support/fabric.js';
import { playDir, type PlayDir } from '../support/play-dir.js';
import { stopTestSshd, testSshd } from '../support/sshd.js';

// Modules of one's own in library/ folders: loaded, checked and run like the built-ins, on the
// real test sshd.
let pd: PlayDir;
beforeAll(async () => {
  pd = playDir(await testSshd(), ['n1', 'n2']);
  mkdirSync(join(pd.dir, 'library'));
  // JavaScript, given fabric's pieces: a file fact in, an atomic write out, check mode and diff.
  writeFileSync(
    join(pd.dir, 'library', 'motd.mjs'),
    `export default ({ defineModule, fileFact, writeFileAtomic, isTemplated, InputError }) => defineModule({
  name: 'motd',
  schema: { type: 'object', additionalProperties: false, required: ['path', 'text'], properties: { path: { type: 'string' }, text: { type: 'string' } } },
  validate(a) { if (!isTemplated(a.path) && !a.path.startsWith('/')) throw new InputError('motd: path must be absolute'); },
  facts: (a) => ({ file: fileFact(a.path, { content: true, checksum: false }) }),
  async run(a, ctx, facts) {
    const want = a.text + '\\n';
    if (facts.file.type === 'file' && facts.file.content?.toString() === want) return { changed: false };
    const diff = ctx.diff ? [{ path: a.path, before: facts.file.content?.toString() ?? '', after: want }] : undefined;
    if (ctx.check) return { changed: true, diff };
    await writeFileAtomic(ctx, a.path, Buffer.from(want));
    return { changed: true, diff };
  },
});
`,
  );
  // TypeScript, a definition with no imports at all (facts are data).
  writeFileSync(
    join(pd.dir, 'library', 'kernel_name.ts'),
    `interface Args { upper?: boolean }
export default {
  name: 'kernel_name',
  schema: { type: 'object', additionalProperties: false, properties: { upper: { type: 'boolean' } } },
  facts: () => ({ uname: { kind: 'script', script: 'uname -s', parse: (r: { stdout: string }) => r.stdout.trim() } }),
  async run(a: Args, _ctx: unknown, facts: { uname: string }) {
    return { changed: false, kernel: a.upper ? facts.uname.toUpperCase() : facts.uname };
  },
};
`,
  );
  mkdirSync(join(pd.dir, 'roles', 'ownmod', 'library'), { recursive: true });
  mkdirSync(join(pd.dir, 'roles', 'ownmod', 'tasks'), { recursive: true });
  writeFileSync(join(pd.dir, 'roles', 'ownmod', 'library', 'role_echo.js'), `export default { name: 'role_echo', controllerOnly: true, schema: { type: 'object', properties: { say: { type: 'string' } } }, async run(a) { return { changed: false, msg: 'role says ' + a.say }; } };\n`);
  writeFileSync(join(pd.dir, 'roles', 'ownmod', 'tasks', 'main.yml'), '- role_echo: {say: hi}\n  register: said\n- assert: {that: ["said.msg == \'role says hi\'"]}\n');
});
beforeEach(() => pd.reset());
afterAll(async () => {
  await stopTestSshd();
  pd.remove();
});

const play = `
- hosts: nodes
  roles: [ownmod]
  tasks:
    - motd: {path: "{{ base }}/{{ inventory_hostname }}.motd", text: "hello {{ inventory_hostname }}"}
    - kernel_name: {upper: true}
      register: k
    - assert: {that: ["k.kernel == 'LINUX'"]}
`;

describe('library modules', () => {
  it('run like built-ins: check changes nothing, play converges, a rerun is ok; listed by fabric modules', async () => {
    const checked = await pd.play(play, ['--check', '--diff']);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('+hello n1');
    expect(() => readFileSync(join(pd.base, 'n1.motd'))).toThrow();
    const r = await pd.play(play);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(pd.base, 'n2.motd'), 'utf8')).toBe('hello n2\n');
    expect(recap(r.stdout).n1).toMatchObject({ changed: 1, failed: 0 });
    const again = await pd.play(play);
    expect(recap(again.stdout).n1).toMatchObject({ changed: 0, failed: 0 });
    const listed = await runFabric(['modules', join(pd.dir, 'pb.yml')]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^motd\t.*library\/motd\.mjs$/m);
    expect(listed.stdout).toMatch(/^kernel_name\t.*library\/kernel_name\.ts$/m);
    expect(listed.stdout).toMatch(/^role_echo\t.*roles\/ownmod\/library\/role_echo\.js$/m);
    expect(listed.stdout).toMatch(/^copy\tbuilt in$/m);
  });

  it("arguments are checked by the module's schema and validate before any host is touched", async () => {
    const unknown = await pd.play('- hosts: nodes\n  tasks:\n    - motd: {path: /tmp/x, txt: y}\n');
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/pb\.yml:3:\d+: .*txt/);
    const relative = await pd.play('- hosts: nodes\n  tasks:\n    - motd: {path: tmp/x, text: y}\n');
    expect(relative.code).toBe(5);
    expect(relative.stderr).toContain('motd: path must be absolute');
    expect(relative.stdout).not.toContain('TASK [');
  });

  it('a broken module file, a name that is not the file, or a built-in name: exit 5 naming the file', async () => {
    const lib = join(pd.dir, 'bad', 'library');
    mkdirSync(lib, { recursive: true });
    const pb = join(pd.dir, 'bad', 'pb.yml');
    writeFileSync(pb, '- hosts: nodes\n  tasks: []\n');
    const run = () => runFabric(['check', pb, '-i', pd.inv]);
    writeFileSync(join(lib, 'oops.ts'), 'export default { name: "oops", schema: {}, run( };\n');
    let r = await run();
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/bad\/library\/oops\.ts:1:\d+/);
    writeFileSync(join(lib, 'oops.ts'), 'export default { name: "other", schema: {}, async run() { return { changed: false }; } };\n');
    r = await run();
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("its name is 'other', but the file says 'oops'");
    writeFileSync(join(lib, 'oops.ts'), 'export default 1;\n');
    writeFileSync(join(lib, 'copy.js'), 'export default { name: "copy", schema: {}, async run() { return { changed: false }; } };\n');
    r = await run();
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/copy\.js.*has the name of a fabric module|oops\.ts.*not a module definition/);
  });
});
