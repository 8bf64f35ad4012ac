import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { INLINE_SUM, mergedProbeScript, splitMerged } from '../../src/modules/lib/probe-merge.js';
import { factScript as probeScript, parseFact, type FileFact as FileProbe, type SysctlFact } from '../../src/modules/lib/facts.js';

type ProbeSpec = FileProbe | SysctlFact;

// The merged form of many probes must print, for each, exactly what its own script prints: the
// modules parse one and are served the other. Both run here in a real /bin/sh, inline in the
// session shell as on a host, over a directory holding every kind of file a probe meets.
const dir = mkdtempSync(join(tmpdir(), 'fabric-merge-'));
const at = (name: string) => join(dir, name);
writeFileSync(at('file'), 'hello\n');
writeFileSync(at('empty'), '');
writeFileSync(at('big'), 'x'.repeat(200)); // over the 64-byte limit some specs set
writeFileSync(at('huge'), 'y'.repeat(INLINE_SUM + 1)); // summed by a program, not read
writeFileSync(at('latin1'), Buffer.from([0x61, 0xf0, 0x9f, 0x98, 0x0a])); // not UTF-8, yet the same length once decoded
writeFileSync(at('we ird\nname|x'), 'odd\n'); // sha256sum escapes such a name in its output
writeFileSync(at('sysctl.conf'), 'net.ipv4.ip_forward=1\n');
mkdirSync(at('sub'));
symlinkSync('file', at('link'));
symlinkSync('sysctl.conf', at('sysctl-link.conf')); // as Debian's /etc/sysctl.d/99-sysctl.conf
symlinkSync('nowhere', at('dangling'));
execFileSync('mkfifo', [at('fifo')]);
const leftover = at('.file.fabric-cut1'); // a cut upload's temp file: every probe of `file` removes it

const names = ['file', 'empty', 'big', 'huge', 'we ird\nname|x', 'sub', 'sub/', 'link', 'dangling', 'fifo', 'absent'];
const optionSets: FileProbe['opts'][] = [
  {},
  { content: true },
  { content: true, follow: true, checksum: false, maxContentBytes: 64 },
  { checksum: 'md5' },
  { checksum: 'sha1', follow: true },
  { checksum: false },
];
const fileSpecs: ProbeSpec[] = names.flatMap((n) => optionSets.map((opts): ProbeSpec => ({ kind: 'file', path: at(n), opts })));
const parentSpecs: ProbeSpec[] = [
  { kind: 'file', path: at('sub/new.conf'), opts: { content: true }, parent: at('sub') },
  { kind: 'file', path: at('missing/new.conf'), opts: {}, parent: at('missing') },
  { kind: 'file', path: at('file'), opts: {}, parent: dir },
];
const sysctlSpecs: ProbeSpec[] = [
  { kind: 'sysctl', proc: '/proc/sys/kernel/pid_max', file: at('sysctl.conf') },
  { kind: 'sysctl', proc: '/proc/sys/net/ipv4/tcp_rmem', file: at('sysctl.conf') }, // tabs in the value; the same file twice
  { kind: 'sysctl', proc: '/proc/sys/no/such/key', file: at('absent.conf') },
  { kind: 'sysctl', proc: '/proc/sys/kernel/pid_max', file: at('sysctl-link.conf') },
];

const conn = new LocalConnection('local');
afterAll(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const alone = (s: ProbeSpec) => conn.exec(probeScript(s), { inline: true });
const merged = async (specs: ProbeSpec[]) => splitMerged(specs, await conn.exec(mergedProbeScript(specs), { inline: true }));

describe('merged probes', () => {
  it('read for each fact the same typed value its lone script gives, for every kind of path and option', async () => {
    const specs = [...fileSpecs, ...parentSpecs, ...sysctlSpecs];
    const want: unknown[] = [];
    for (const s of specs) {
      writeFileSync(leftover, 'partial');
      const r = await alone(s);
      expect(r.stderr).toBe('');
      want.push(parseFact(s, r));
    }
    writeFileSync(leftover, 'partial');
    const got = await merged(specs);
    expect(got).toEqual(want);
    expect(existsSync(leftover)).toBe(false);
    // Alone in a batch (head prints no header for a single file unless told to).
    expect(await merged([specs[1]!])).toEqual([want[1]]);
    // Spot checks that the comparison is about something.
    expect(want[0]).toMatchObject({ type: 'file', mode: expect.stringMatching(/^\d+$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(want.some((w) => (w as { parentMissing?: boolean }).parentMissing)).toBe(true);
    expect(want.at(-3)).toMatchObject({ live: expect.stringMatching(/^4096 \d+ \d+ ?$/), file: expect.stringMatching(/^net/) });
    expect(want.at(-1)).toEqual(want.at(-4));
  });

  it('leave the session shell as they found it: variables, functions, positional parameters', async () => {
    const script = mergedProbeScript([...fileSpecs.slice(0, 12), ...parentSpecs, ...sysctlSpecs]);
    const after = await conn.exec(`set -- a "b c"\n{\n${script}\n} >/dev/null\necho "$#:$2"; set | grep -c "^_f"; command -v _fm || echo no-fn`, { inline: true });
    expect(after.stdout).toBe('2:b c\n0\nno-fn\n');
  });

  it('start one program per kind of work, not one per probe', async () => {
    // Wrappers ahead on PATH log each program the probes start, then run the real one.
    const bin = at('wrap');
    const log = at('programs.log');
    mkdirSync(bin);
    for (const p of ['stat', 'sha256sum', 'base64', 'grep', 'tr', 'readlink', 'head']) {
      writeFileSync(join(bin, p), `#!/bin/sh\necho ${p} >> '${log}'\nPATH=${process.env.PATH}\nexec ${p} "$@"\n`);
      chmodSync(join(bin, p), 0o755);
    }
    const bench: ProbeSpec[] = [
      { kind: 'sysctl', proc: '/proc/sys/kernel/pid_max', file: at('sysctl.conf') },
      { kind: 'sysctl', proc: '/proc/sys/kernel/threads-max', file: at('sysctl.conf') },
      { kind: 'file', path: at('sub'), opts: { follow: true, checksum: false } },
      { kind: 'file', path: at('file'), opts: { content: false }, parent: dir },
      { kind: 'file', path: at('empty'), opts: { content: false }, parent: dir },
      { kind: 'file', path: at('big'), opts: { content: true, follow: true, checksum: false } },
      { kind: 'file', path: at('absent'), opts: { checksum: false } },
    ];
    const count = async (script: string) => {
      writeFileSync(log, '');
      const r = await conn.exec(`PATH=${bin}:$PATH\n${script}\nPATH=${process.env.PATH}`, { inline: true });
      expect(r.rc).toBe(0);
      return readFileSync(log, 'utf8').trim().split('\n').sort();
    };
    const one = await count(bench.map(probeScript).join('\n'));
    const all = await count(mergedProbeScript(bench));
    expect(one).toEqual(['base64', 'base64', 'base64', 'sha256sum', 'sha256sum', 'stat', 'stat', 'stat', 'stat', 'tr', 'tr']);
    expect(all).toEqual(['head', 'stat']);
  });

  it('give up, so the probes run live, when the merged run did not finish cleanly', async () => {
    const specs = [fileSpecs[0]!, sysctlSpecs[0]!];
    const full = await conn.exec(mergedProbeScript(specs), { inline: true });
    expect(splitMerged(specs, full)).toBeDefined();
    expect(splitMerged(specs, { ...full, stdout: full.stdout.slice(0, full.stdout.lastIndexOf('\x1fE')) })).toBeUndefined();
    expect(splitMerged(specs, { ...full, rc: 1 })).toBeUndefined();
    // A program that failed says so in a line of its own (here as stat does when a path vanished).
    expect(splitMerged(specs, { ...full, stdout: full.stdout.replace('\x1fS\n', '\x1fX|stat\n') })).toBeUndefined();
    // A file that grew between its stat and its read: its bytes no longer match its size.
    expect(full.stdout).toContain('<==\nhello\n');
    expect(splitMerged(specs, { ...full, stdout: full.stdout.replace('<==\nhello\n', '<==\nhello!\n') })).toBeUndefined();
  });

  it('give up on text that is not UTF-8, which the way back cannot carry unchanged', async () => {
    const specs: ProbeSpec[] = [{ kind: 'file', path: at('latin1'), opts: { content: true } }];
    const r = await conn.exec(mergedProbeScript(specs), { inline: true });
    expect(r.rc).toBe(0);
    expect(splitMerged(specs, r)).toBeUndefined();
  });
});
