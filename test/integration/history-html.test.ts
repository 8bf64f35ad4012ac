// `fabric runs show ID --html FILE`, looked at in a real browser: Debian's headless Chromium takes
// a screenshot, and the picture must have the page's size and every status colour of the run in it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_COLOURS } from '../../src/history/report-html.js';
import { runFabric } from '../support/fabric.js';
import { countColour, decodePng } from '../support/png.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'fabric-history-html-'));
const db = join(dir, 'history.sqlite');
const html = join(dir, 'report.html');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The flags this machine's closed network needs (no background fetches), a fresh profile, root's --no-sandbox. */
function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = join(dir, `profile-${Math.random().toString(36).slice(2)}`);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`];
  return new Promise((res, rej) =>
    execFile(CHROMIUM, [...flags, ...args], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res({ stdout, stderr }))),
  );
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: scripts/install-deps.sh installs Debian's chromium`);

(haveChromium ? describe : describe.skip)('the HTML report in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'inv.yml'), `all:\n  hosts:\n${['a', 'b', 'c'].map((h) => `    ${h}: {fabric_connection: local}\n`).join('')}`);
    writeFileSync(
      join(dir, 'pb.yml'),
      `- hosts: all
  gather_facts: false
  tasks:
    - name: write a file
      copy: {dest: "${dir}/out/{{ inventory_hostname }}.txt", content: "line one\\nhost {{ inventory_hostname }}\\n"}
    - name: say hello
      debug: {msg: hello}
    - name: only on b and c
      debug: {msg: here}
      when: inventory_hostname != 'a'
    - name: c fails
      command: "false"
      when: inventory_hostname == 'c'
`,
    );
    const r = await runFabric(['play', 'pb.yml', '-i', 'inv.yml', '--diff'], { cwd: dir, env: { FABRIC_HISTORY: db } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const w = await runFabric(['runs', 'show', '1', '--html', html], { cwd: dir, env: { FABRIC_HISTORY: db } });
    expect(w.code, w.stderr).toBe(0);
  });

  it('is one self-contained file: no script, no external resource', () => {
    const text = readFileSync(html, 'utf8');
    expect(text).toMatch(/^<!doctype html>/);
    expect(text).not.toMatch(/<script|<link|<img|src=|url\(|@import|https?:/i);
  });

  it("Chromium's DOM: the grid of hosts × tasks, and each diff inside a <details>", async () => {
    const { stdout: dom } = await chromium(['--dump-dom', `file://${html}`]);
    const headers = [...dom.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers.slice(0, 4)).toEqual(['task', 'a', 'b', 'c']);
    expect((dom.match(/<td class="s-/g) ?? []).length).toBe(12);
    const details = [...dom.matchAll(/<details>([\s\S]*?)<\/details>/g)].map((m) => m[1]!);
    expect(details.filter((d) => d.includes('(diff)'))).toHaveLength(3);
    expect(details.find((d) => d.includes(' a: write a file'))).toContain('<span class="add">+host a</span>');
    expect(details.find((d) => d.includes('c: c fails'))).toContain('non-zero return code');
  });

  it('the screenshot is the window size and shows every status colour of the run', async () => {
    const png = join(dir, 'report.png');
    await chromium(['--window-size=1200,900', `--screenshot=${png}`, `file://${html}`]);
    const image = decodePng(readFileSync(png));
    expect([image.width, image.height]).toEqual([1200, 900]);
    // Each status cell is about 90×44 px; the timeline adds bars. Hundreds of pixels of each colour.
    for (const status of ['ok', 'changed', 'skipped', 'failed'] as const) expect(countColour(image, STATUS_COLOURS[status]), status).toBeGreaterThan(500);
    expect(countColour(image, STATUS_COLOURS.unreachable), 'no host was unreachable').toBe(0);
  });
});
