// uri, cron, git and systemd_service on real lab hosts, with round trips counted per task
// (test/support/counted-play.ts). uri talks only to a server this file starts on another lab host
// (HTTP and HTTPS with a self-signed certificate made by openssl), inside the lab's namespaces.
// Lab hosts have no init system, so systemd_service is tested here for the failure it must give.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExecCapture, type LabInfo } from '../../src/lab/index.js';
import { REPO, runFabric } from '../support/fabric.js';
import { describeLab, requireLab } from '../support/lab.js';
import { countedPlays } from '../support/counted-play.js';

const dir = mkdtempSync(join(tmpdir(), 'fabric-ucgs-'));
const plays = countedPlays(dir);
afterAll(() => plays.remove());
const id = randomBytes(3).toString('hex');
let lab: LabInfo;
let H = '';
let S = ''; // the host serving HTTP
let SA = ''; // its address

async function onHost(host: string, argv: string[], o: { input?: string; allowFail?: boolean } = {}): Promise<string> {
  const r = await labExecCapture(host, argv, { repoRoot: REPO, name: lab.name }, o.input);
  if (!o.allowFail && r.code !== 0) throw new Error(`${argv.join(' ')} on ${host}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const sh = (host: string, script: string, o: { input?: string; allowFail?: boolean } = {}) => onHost(host, ['/bin/sh', '-c', script], o);

const one = (task: string) => `- hosts: ${H}\n  gather_facts: false\n  tasks:\n    - name: t\n${task.replace(/^/gm, '      ')}\n`;

async function task(text: string, o: { check?: boolean; diff?: boolean } = {}) {
  const run = await plays.run(one(text), lab.inventoryPath, o);
  const outcome = run.outcomes.get('t')?.get(H);
  if (!outcome) throw new Error(`no outcome (exit ${run.exitCode})`);
  const c = run.trips.get('t')?.get(H) ?? { execs: 0, uploads: 0 };
  return { status: outcome.status, result: outcome.result as Record<string, any>, ...c };
}

/** An HTTP(S) server for the uri tests: echoes the request, answers JSON, statuses, redirects, basic auth. */
const SERVER = `
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
const handler = (req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const u = new URL(req.url, 'http://x');
    const p = u.pathname;
    if (p === '/json') { const s = JSON.stringify({ ok: true, n: 3 }); res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(s), 'X-Fabric-Test': 'yes' }); return res.end(s); }
    if (p === '/echo') { res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'sid=abc; Path=/' }); return res.end(JSON.stringify({ method: req.method, headers: req.headers, body })); }
    if (p.startsWith('/status/')) { res.writeHead(Number(p.slice(8)), { 'Content-Type': 'text/plain' }); return res.end('status body'); }
    if (p === '/redirect') { res.writeHead(302, { Location: '/json' }); return res.end(); }
    if (p === '/auth') {
      const want = 'Basic ' + Buffer.from('alice:s3cr3t pw').toString('base64');
      if (req.headers.authorization !== want) { res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' }); return res.end('no'); }
      res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end('welcome');
    }
    if (p === '/file') { res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); return res.end(u.searchParams.get('v') ?? 'v1'); }
    res.writeHead(404); res.end();
  });
};
http.createServer(handler).listen(8080);
https.createServer({ key: readFileSync('/tmp/uri-srv/key.pem'), cert: readFileSync('/tmp/uri-srv/cert.pem') }, handler).listen(8443);
`;

describeLab('uri, cron, git and systemd_service on lab hosts', () => {
  beforeAll(async () => {
    lab = requireLab();
    H = lab.hosts[0]!.name;
    S = lab.hosts[1]!.name;
    SA = lab.hosts[1]!.address;
    await sh(S, 'mkdir -p /tmp/uri-srv && cat > /tmp/uri-srv/srv.mjs', { input: SERVER });
    await sh(S, `cd /tmp/uri-srv && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=${SA} -addext subjectAltName=IP:${SA} 2>/dev/null`);
    await sh(S, 'nohup node /tmp/uri-srv/srv.mjs >/tmp/uri-srv/log 2>&1 </dev/null &');
    for (let i = 0; i < 50; i++) {
      if ((await sh(H, `curl -s -o /dev/null -w '%{http_code}' http://${SA}:8080/json`, { allowFail: true })) === '200') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
  afterAll(async () => {
    await sh(S, 'pkill -f /tmp/uri-srv/srv.mjs', { allowFail: true });
  });

  describe('uri', () => {
    it('GET of JSON: status, json, lowercase headers, msg, changed false, one round trip', async () => {
      const r = await task(`uri: {url: "http://${SA}:8080/json"}`);
      expect(r).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
      expect(r.result).toMatchObject({ changed: false, status: 200, url: `http://${SA}:8080/json`, redirected: false, json: { ok: true, n: 3 }, content_type: 'application/json; charset=utf-8', x_fabric_test: 'yes', msg: 'OK (17 bytes)' });
      expect(r.result.content).toBeUndefined();
    });

    it('POST json body and headers arrive; form-urlencoded as Python encodes it; cookies', async () => {
      const j = await task(`uri:\n  url: "http://${SA}:8080/echo"\n  method: POST\n  body_format: json\n  body: {a: 1, s: "x'$(y)"}\n  headers: {X-Token: "t o k"}\n  return_content: true`);
      expect(j.status).toBe('ok');
      expect(j.result.json).toMatchObject({ method: 'POST', body: '{"a":1,"s":"x\'$(y)"}', headers: { 'content-type': 'application/json', 'x-token': 't o k' } });
      expect(JSON.parse(j.result.content)).toEqual(j.result.json);
      expect(j.result.cookies).toEqual({ sid: 'abc' });
      const f = await task(`uri:\n  url: "http://${SA}:8080/echo"\n  method: PUT\n  body_format: form-urlencoded\n  body: {name: "a b&c", list: [1, 2], t: "~*"}`);
      expect(f.result.json).toMatchObject({ method: 'PUT', body: 'name=a+b%26c&list=1&list=2&t=~%2A', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    });

    it('status_code: a 404 fails with Ansible\'s message; a list that holds it passes', async () => {
      const bad = await task(`uri: {url: "http://${SA}:8080/status/404"}`);
      expect(bad.status).toBe('failed');
      expect(bad.result).toMatchObject({ status: 404, msg: 'Status code was 404 and not [200]: HTTP Error 404: Not Found' });
      const ok = await task(`uri: {url: "http://${SA}:8080/status/404", status_code: [200, 404], return_content: true}`);
      expect(ok.result).toMatchObject({ status: 404, content: 'status body' });
      expect(ok.status).toBe('ok');
    });

    it('redirects: followed for GET (safe), not with follow_redirects none', async () => {
      const f = await task(`uri: {url: "http://${SA}:8080/redirect"}`);
      expect(f.result).toMatchObject({ status: 200, redirected: true, url: `http://${SA}:8080/json`, json: { ok: true } });
      const n = await task(`uri: {url: "http://${SA}:8080/redirect", follow_redirects: none, status_code: 302}`);
      expect(n.result).toMatchObject({ status: 302, redirected: false, location: `http://${SA}:8080/json` });
    });

    it('basic auth: after the 401 challenge, and preemptively with force_basic_auth; the password is on no command line', async () => {
      const a = await task(`uri: {url: "http://${SA}:8080/auth", url_username: alice, url_password: "s3cr3t pw", return_content: true}`);
      expect(a.result).toMatchObject({ status: 200, content: 'welcome' });
      const b = await task(`uri: {url: "http://${SA}:8080/auth", url_username: alice, url_password: "s3cr3t pw", force_basic_auth: true, return_content: true}`);
      expect(b.result).toMatchObject({ status: 200, content: 'welcome' });
      const w = await task(`uri: {url: "http://${SA}:8080/auth", url_username: alice, url_password: wrong}`);
      expect(w.result).toMatchObject({ status: 401 });
    });

    it('HTTPS with a self-signed certificate: refused by default (status -1), accepted with validate_certs false', async () => {
      const v = await task(`uri: {url: "https://${SA}:8443/json"}`);
      expect(v.status).toBe('failed');
      expect(v.result.status).toBe(-1);
      expect(v.result.msg).toMatch(/^Status code was -1 and not \[200\]: Request failed: curl: \(60\) SSL certificate problem: self.signed certificate/);
      const k = await task(`uri: {url: "https://${SA}:8443/json", validate_certs: false}`);
      expect(k.result).toMatchObject({ status: 200, json: { ok: true, n: 3 } });
    });

    it('dest: written when it differs (changed), a rerun with the same bytes is unchanged in one round trip', async () => {
      const dest = `/tmp/uri-dest-${id}`;
      const t = (v: string) => task(`uri: {url: "http://${SA}:8080/file?v=${v}", dest: ${dest}}`);
      expect((await t('one')).result).toMatchObject({ changed: true, path: dest, status: 200 });
      expect(await sh(H, `cat ${dest}`)).toBe('one');
      const again = await t('one');
      expect(again).toMatchObject({ status: 'ok', execs: 1 });
      expect(again.result.changed).toBe(false);
      expect((await t('two')).result.changed).toBe(true);
      expect(await sh(H, `cat ${dest}`)).toBe('two');
    });

    it('check mode skips it, as Ansible (uri does not support check mode); an unreachable port is status -1', async () => {
      const c = await task(`uri: {url: "http://${SA}:8080/json"}`, { check: true });
      expect(c).toMatchObject({ status: 'skipped', execs: 0 });
      const d = await task(`uri: {url: "http://${SA}:9/", timeout: 5}`);
      expect(d.result).toMatchObject({ status: -1 });
      expect(d.result.msg).toContain('Request failed: curl: (7)');
    });
  });

  describe('cron', () => {
    const job = `uri-cron-${id}`;
    it('a user crontab: check, add with Ansible\'s marker, rerun one round trip, change, disable, absent', async () => {
      const add = `cron: {name: "${job}", minute: "5", hour: "*/2", job: "echo 'hi' > /dev/null"}`;
      const c = await task(add, { check: true, diff: true });
      expect(c).toMatchObject({ status: 'changed', execs: 1 });
      expect(c.result.diff[0].after).toContain(`#Ansible: ${job}\n5 */2 * * * echo 'hi' > /dev/null\n`);
      expect(await sh(H, 'crontab -l 2>/dev/null || true')).not.toContain(job);
      const a = await task(add);
      expect(a.status).toBe('changed');
      expect(a.result.jobs).toContain(job);
      expect(await sh(H, 'crontab -l')).toContain(`#Ansible: ${job}\n5 */2 * * * echo 'hi' > /dev/null\n`);
      expect(await task(add)).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
      await task(`cron: {name: "${job}", special_time: daily, job: "true", disabled: true}`);
      expect(await sh(H, 'crontab -l')).toContain(`#Ansible: ${job}\n#@daily true\n`);
      const env = await task(`cron: {name: FABRIC_V, env: true, job: "/usr/bin"}`);
      expect(env.result.envs).toContain('FABRIC_V');
      expect((await sh(H, 'crontab -l')).split('\n')[0]).toBe('FABRIC_V="/usr/bin"');
      await task(`cron: {name: FABRIC_W, env: true, job: "x", insertafter: FABRIC_V}`);
      expect((await sh(H, 'crontab -l')).split('\n').slice(0, 2)).toEqual(['FABRIC_V="/usr/bin"', 'FABRIC_W="x"']);
      const b = await task(`cron: {name: "${job}", state: absent, backup: true}`);
      expect(b.status).toBe('changed');
      expect(await sh(H, `cat ${b.result.backup_file}`)).toContain(job);
      expect(await sh(H, 'crontab -l')).not.toContain(job);
      expect(await task(`cron: {name: "${job}", state: absent}`)).toMatchObject({ status: 'ok', execs: 1 });
    });

    it('cron_file: /etc/cron.d/NAME with the user field, 0644; removed when its last job goes', async () => {
      const f = `fabric-${id}`;
      const t = await task(`cron: {name: nightly, cron_file: ${f}, user: root, hour: "3", minute: "0", job: /bin/true}`);
      expect(t.status).toBe('changed');
      expect(await sh(H, `cat /etc/cron.d/${f}; stat -c %a /etc/cron.d/${f}`)).toBe('#Ansible: nightly\n0 3 * * * root /bin/true\n644\n');
      expect(await task(`cron: {name: nightly, cron_file: ${f}, user: root, hour: "3", minute: "0", job: /bin/true}`)).toMatchObject({ status: 'ok', execs: 1 });
      expect((await task(`cron: {name: nightly, cron_file: ${f}, state: absent}`)).status).toBe('changed');
      expect(await sh(H, `test -e /etc/cron.d/${f} && echo still || echo gone`)).toBe('gone\n');
    });
  });

  describe('git', () => {
    const src = `/tmp/git-src-${id}`;
    const dest = `/tmp/git-dest-${id}`;
    let c1 = '';
    let c2 = '';
    beforeAll(async () => {
      const g = 'git -c user.email=t@lab -c user.name=t';
      await sh(H, `set -e; git init -q -b main ${src}; cd ${src}; echo 1 > f; git add f; ${g} commit -qm one; git tag v1; git checkout -qb dev; echo dev > f; ${g} commit -qam dev; git checkout -q main; echo 2 > f; ${g} commit -qam two`);
      c1 = (await sh(H, `git -C ${src} rev-parse v1`)).trim();
      c2 = (await sh(H, `git -C ${src} rev-parse main`)).trim();
    });

    it('clone (check first), no-op at the version in one round trip, a tag, a branch, a commit, a new commit upstream', async () => {
      const chk = await task(`git: {repo: ${src}, dest: ${dest}}`, { check: true });
      expect(chk.result).toMatchObject({ changed: true, before: null, after: c2 });
      const cl = await task(`git: {repo: ${src}, dest: ${dest}}`);
      expect(cl.result).toMatchObject({ changed: true, before: null, after: c2 });
      expect(await sh(H, `cat ${dest}/f`)).toBe('2\n');
      const noop = await task(`git: {repo: ${src}, dest: ${dest}}`);
      expect(noop).toMatchObject({ status: 'ok', execs: 1, uploads: 0 });
      expect(noop.result).toMatchObject({ changed: false, before: c2, after: c2 });
      const tag = await task(`git: {repo: ${src}, dest: ${dest}, version: v1}`);
      expect(tag.result).toMatchObject({ changed: true, before: c2, after: c1 });
      expect(await task(`git: {repo: ${src}, dest: ${dest}, version: v1}`)).toMatchObject({ status: 'ok', execs: 1 });
      const dev = await task(`git: {repo: ${src}, dest: ${dest}, version: dev}`);
      expect(dev.result.changed).toBe(true);
      expect(await sh(H, `cat ${dest}/f; git -C ${dest} rev-parse --abbrev-ref HEAD`)).toBe('dev\ndev\n');
      const sha = await task(`git: {repo: ${src}, dest: ${dest}, version: ${c1}}`);
      expect(sha.result).toMatchObject({ changed: true, after: c1 });
      expect(await task(`git: {repo: ${src}, dest: ${dest}, version: ${c1.slice(0, 10)}}`)).toMatchObject({ status: 'ok', execs: 1 });
      await sh(H, `cd ${src} && echo 3 > f && git -c user.email=t@lab -c user.name=t commit -qam three`);
      const c3 = (await sh(H, `git -C ${src} rev-parse main`)).trim();
      const up = await task(`git: {repo: ${src}, dest: ${dest}, version: main}`);
      expect(up.result).toMatchObject({ changed: true, before: c1, after: c3 });
    });

    it('local changes fail without force and are discarded with it; update false leaves it; depth; bare; a missing version', async () => {
      await sh(H, `echo local > ${dest}/f`);
      const f = await task(`git: {repo: ${src}, dest: ${dest}, version: v1}`);
      expect(f.status).toBe('failed');
      expect(f.result.msg).toBe(`Local modifications exist in the destination: ${dest} (force=no).`);
      const forced = await task(`git: {repo: ${src}, dest: ${dest}, version: v1, force: true}`);
      expect(forced.result).toMatchObject({ changed: true, after: c1 });
      expect(await sh(H, `cat ${dest}/f`)).toBe('1\n');
      const nu = await task(`git: {repo: ${src}, dest: ${dest}, version: main, update: false}`);
      expect(nu.result).toMatchObject({ changed: false, before: c1, after: c1 });
      const shallow = await task(`git: {repo: "file://${src}", dest: ${dest}-shallow, depth: 1}`);
      expect(shallow.status).toBe('changed');
      expect(await sh(H, `git -C ${dest}-shallow rev-list --count HEAD`)).toBe('1\n');
      const bare = await task(`git: {repo: ${src}, dest: ${dest}.git, bare: true}`);
      expect(bare.status).toBe('changed');
      expect(await sh(H, `git -C ${dest}.git rev-parse --is-bare-repository`)).toBe('true\n');
      expect(await task(`git: {repo: ${src}, dest: ${dest}.git, bare: true}`)).toMatchObject({ status: 'ok', execs: 1 });
      const missing = await task(`git: {repo: ${src}, dest: ${dest}, version: no-such-ref}`);
      expect(missing.result.msg).toBe(`version 'no-such-ref' is not a branch, tag or commit id of ${src}`);
    });
  });

  describe('systemd_service', () => {
    it('fails clearly on a host where systemd is not PID 1, with systemctl\'s own words, in one round trip (check mode too)', async () => {
      for (const check of [false, true]) {
        const r = await task('ansible.builtin.systemd: {name: ssh, state: started}', { check });
        expect(r).toMatchObject({ status: 'failed', execs: 1 });
        expect(r.result.msg).toMatch(/^systemd is not running on this host \(PID 1 is not systemd, no \/run\/systemd\/system\), so systemctl cannot manage ssh: System has not been booted with systemd as init system \(PID 1\)\. Can't operate\./);
      }
      const reload = await task('ansible.builtin.systemd_service: {daemon_reload: true}');
      expect(reload.status).toBe('failed');
      expect(reload.result.msg).toMatch(/^failure 1 during daemon-reload: System has not been booted with systemd/);
    });
  });

  it('bad arguments of every new module stop the run before any host is touched: exit 5 with file:line', async () => {
    const play = join(dir, `bad-${id}.yml`);
    writeFileSync(play, `- hosts: ${H}\n  gather_facts: false\n  tasks:\n    - uri: {url: "http://${SA}/", status_code: "x"}\n    - cron: {name: a, cron_file: f, job: x}\n    - git: {repo: /r, dest: /d, accept_hostkey: true}\n    - systemd: {state: started}\n    - kubernetes.core.k8s_drain: {name: w1, state: cordon, delete_options: {force: true}}\n`);
    const r = await runFabric(['play', '-i', lab.inventoryPath, play]);
    expect(r.code).toBe(5);
    const out = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
    for (const line of [4, 5, 6, 7, 8]) expect(out).toMatch(new RegExp(`bad-${id}\\.yml:${line}`));
    expect(out).toContain('To use cron_file=... parameter you must specify user=... as well');
    expect(out).toContain('accept_hostkey: true is refused');
    expect(out).toContain("missing parameter(s) required by 'state': name");
    expect(out).toContain('delete_options apply to state drain only');
  });
});
