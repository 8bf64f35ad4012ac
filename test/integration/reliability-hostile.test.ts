// Hostile values are data: quotes, $(…), backticks, ;, |, &, newlines, globs and leading dashes
// pass through copy, lineinfile, template, command argv, sysctl and file paths literally, and no
// injected command runs, neither on the host nor on the controller.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { recap, REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';

const tag = randomBytes(4).toString('hex');
/** Every injection touches a file named MARK-<n>: none may exist anywhere afterwards. */
const MARK = `/tmp/fabric-pwned-${tag}`;
const D = `/tmp/fabric-hostile-${tag}`;
const inject = (n: number) => [`$(touch ${MARK}-${n}a)`, `\`touch ${MARK}-${n}b\``, `; touch ${MARK}-${n}c`, `| touch ${MARK}-${n}d`, `& touch ${MARK}-${n}e`];

const evil = `it's "quoted" ${inject(1).join(' ')}\n touch ${MARK}-1f\n-rf --help * ~ \\ %s%n %d $HOME \${PATH}\n`;
const evilLine = `x'y"z ${inject(2).join(' ')} -n %s $HOME`;
// File names cannot hold '/': their markers are relative (the host's cwd, the controller's repo).
const REL = `fabric-pwned-${tag}`;
const evilName = `-rf ;$(touch ${REL}-3a)'q"\`touch ${REL}-3b\`&|*.txt`;
const evilNlName = `nl\n$(touch ${REL}-4a)`;
const evilSysctl = `1 ${inject(5).join(' ')} $HOME`;

let lab: LabInfo;
let host: string;
let dir: string;

async function onHost(...argv: string[]): Promise<string> {
  const r = await labExecCapture(host, argv, { repoRoot: REPO, name: lab.name });
  expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describeLab('hostile values pass through as literal data', () => {
  beforeAll(() => {
    lab = requireLab();
    host = lab.hosts[1]!.name;
    dir = mkdtempSync(join(tmpdir(), 'fabric-hostile-'));
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (host) await labExecCapture(host, ['rm', '-rf', D], { repoRoot: REPO, name: lab.name });
  });

  it('copy, lineinfile, template, command argv, sysctl and file keep every byte and run nothing', async () => {
    // JSON is YAML: the values reach fabric exactly as written here.
    writeFileSync(join(dir, 'vars.yml'), JSON.stringify({ evil, evil_line: evilLine, evil_name: evilName, evil_nl_name: evilNlName, evil_sysctl: evilSysctl, D }));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'tpl.j2'), 'value={{ evil }}\nname={{ evil_name }}\n');
    const tasks = [
      { file: { path: '{{ D }}', state: 'directory' } },
      { copy: { dest: '{{ D }}/{{ evil_name }}', content: '{{ evil }}' } },
      { copy: { dest: '{{ D }}/{{ evil_nl_name }}', content: '{{ evil_line }}' } },
      { lineinfile: { path: '{{ D }}/lines', line: '{{ evil_line }}', create: true } },
      { lineinfile: { path: '{{ D }}/{{ evil_name }}.lines', line: '{{ evil_line }}', create: true, insertbefore: 'BOF' } },
      { template: { src: 'tpl.j2', dest: '{{ D }}/tpl' } },
      { template: { src: 'tpl.j2', dest: '{{ D }}/{{ evil_name }}.tpl' } },
      { blockinfile: { path: '{{ D }}/block', block: '{{ evil }}', create: true } },
      { command: { argv: ['printf', '%s|', '{{ evil }}', '{{ evil_name }}', '--', '-rf'] }, register: 'out' },
      { copy: { dest: '{{ D }}/argv-out', content: '{{ out.stdout }}' } },
      { command: { argv: ['{{ evil_name }}'] }, ignore_errors: true, register: 'missing' },
      { sysctl: { name: 'net.ipv4.ip_forward', value: '{{ evil_sysctl }}', sysctl_file: '{{ D }}/sysctl.conf', reload: false } },
      { file: { path: '{{ D }}/{{ evil_name }}.dir', state: 'directory', mode: '0700' } },
      { file: { path: '{{ D }}/-x', state: 'touch', mode: '0600' } },
    ];
    const pb = join(dir, 'hostile.yml');
    writeFileSync(pb, JSON.stringify([{ hosts: host, gather_facts: false, vars_files: ['vars.yml'], tasks }]));
    const r = await runFabric(['play', pb, '-i', lab.inventoryPath]);
    const why = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
    expect(r.code, why).toBe(0);
    expect(recap(r.stdout)[host], why).toMatchObject({ failed: 0, ignored: 1 });

    expect(await onHost('cat', '--', `${D}/${evilName}`)).toBe(evil);
    expect(await onHost('cat', '--', `${D}/${evilNlName}`)).toBe(evilLine);
    expect(await onHost('cat', '--', `${D}/lines`)).toBe(`${evilLine}\n`);
    expect(await onHost('cat', '--', `${D}/${evilName}.lines`)).toBe(`${evilLine}\n`);
    expect(await onHost('cat', '--', `${D}/tpl`)).toBe(`value=${evil}\nname=${evilName}\n`);
    expect(await onHost('cat', '--', `${D}/${evilName}.tpl`)).toBe(`value=${evil}\nname=${evilName}\n`);
    expect(await onHost('cat', '--', `${D}/block`)).toContain(`\n${evil.trimEnd()}\n`);
    expect(await onHost('cat', '--', `${D}/argv-out`)).toBe(`${evil}|${evilName}|--|-rf|`);
    expect(await onHost('cat', '--', `${D}/sysctl.conf`)).toBe(`net.ipv4.ip_forward=${evilSysctl}\n`);
    expect((await onHost('stat', '-c', '%F %a', '--', `${D}/${evilName}.dir`)).trim()).toBe('directory 700');
    expect((await onHost('stat', '-c', '%F %a', '--', `${D}/-x`)).trim()).toBe('regular empty file 600');
    const names = (await onHost('find', D, '-mindepth', '1', '-printf', '%f\\0')).split('\0').filter(Boolean).sort();
    const want = [evilName, `${evilName}.dir`, `${evilName}.lines`, `${evilName}.tpl`, evilNlName, '-x', 'argv-out', 'block', 'lines', 'sysctl.conf', 'tpl'];
    expect(names).toEqual(want.sort());

    // No injected command ran: no marker on the host, none on the controller.
    expect((await onHost('find', '/tmp', '/root', '/', '-maxdepth', '1', '-name', `${REL}*`)).trim()).toBe('');
    for (const d of ['/tmp', REPO, dir, '/root']) expect(readdirSync(d).filter((n) => n.startsWith(REL)), d).toEqual([]);

    // A second run finds everything converged: the values also round-trip through the probes.
    const again = await runFabric(['play', pb, '-i', lab.inventoryPath]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // The argv command always reports changed, like Ansible's command; nothing else changes.
    expect(recap(again.stdout)[host], again.stdout).toMatchObject({ changed: 2, failed: 0 });
  });
});
