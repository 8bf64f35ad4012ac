// The pure parts of uri, cron, git, systemd_service and k8s_drain: what they render for the host
// and how they read its answers. systemd_service and k8s_drain cannot run here (no systemd as
// PID 1, no cluster): their plans and commands are proven here, against real output formats.
import { describe, expect, it } from 'vitest';
import { canonicalModuleName } from '../../src/modules/index.js';
import { cronJobLine, editCrontab, renderCrontab, crontabLines, type CronEditArgs } from '../../src/modules/lib/crontab.js';
import { formUrlencoded, lastResponseHead, isJsonType, curlConfigString } from '../../src/modules/lib/http-request.js';
import { parseSystemctlShow, parseUnitProbe, unitProbeScript, type UnitState } from '../../src/modules/lib/systemd.js';
import { drainCommand, drainPlan, nodeProbeScript, parseNodeProbe } from '../../src/modules/k8s_drain.js';
import { resolveVersion, updateScript, cloneScript } from '../../src/modules/git.js';
import { systemdPlan } from '../../src/modules/systemd_service.js';
import { uriRequest, uriScript } from '../../src/modules/uri.js';
import k8sDrain from '../../src/modules/k8s_drain.js';
import { argErrors } from '../support/module-harness.js';

/** `systemctl show ssh.service` on Debian 12 (systemd 252), cut to the keys that matter plus a multi-line Exec value. */
const SHOW_SSH = `Type=notify
Restart=on-failure
MainPID=612
ExecMainStartTimestamp=Mon 2024-06-03 09:12:01 UTC
ExecMainPID=612
ExecStartPre={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -t ; ignore_errors=no ; start_time=[Mon 2024-06-03 09:12:01 UTC] ; stop_time=[Mon 2024-06-03 09:12:01 UTC] ; pid=598 ; code=exited ; status=0 }
ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS
 -o Extra=1 ; ignore_errors=no ; start_time=[Mon 2024-06-03 09:12:01 UTC] ; stop_time=[n/a] ; pid=612 ; code=(null) ; status=0/0 }
ExecReload={ path=/bin/kill ; argv[]=/bin/kill -HUP $MAINPID ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
Id=ssh.service
Names=ssh.service sshd.service
Description=OpenBSD Secure Shell server
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
UnitFilePreset=enabled
FragmentPath=/lib/systemd/system/ssh.service
`;

const booted = (show: string, enabled: [number, string], extra = ''): UnitState => parseUnitProbe(`@@booted\n@@show\n${show}@@showrc=0\n@@enabledrc=${enabled[0]} ${enabled[1]}\n${extra}`);

describe('systemd_service', () => {
  it("parses systemctl show as Ansible's parse_systemctl_show (an Exec value over two lines stays one)", () => {
    const s = parseSystemctlShow(SHOW_SSH);
    expect(s).toMatchObject({ LoadState: 'loaded', ActiveState: 'active', SubState: 'running', UnitFileState: 'enabled', MainPID: '612', Names: 'ssh.service sshd.service' });
    expect(s.ExecStart).toBe('{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $SSHD_OPTS\n -o Extra=1 ; ignore_errors=no ; start_time=[Mon 2024-06-03 09:12:01 UTC] ; stop_time=[n/a] ; pid=612 ; code=(null) ; status=0/0 }');
    expect(s).not.toHaveProperty(' -o Extra');
  });

  it('reads the probe: not booted keeps systemctl\'s own message', () => {
    const u = parseUnitProbe("@@notbooted\n@@show\nSystem has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n@@showrc=1\n@@enabledrc=1 \n");
    expect(u).toMatchObject({ booted: false, enabledRc: 1, enabledOut: '', initd: false });
    expect(u.showError).toContain('System has not been booted with systemd');
    expect(systemdPlan({ name: 'ssh', state: 'started' }, u, { check: true }).error).toMatch(/^systemd is not running on this host .* cannot manage ssh: System has not been booted/);
  });

  it('plans in check mode: started/stopped only when needed, restarted always, enabled, masked, scope and flags rendered', () => {
    const active = booted(SHOW_SSH, [0, 'enabled']);
    const inactive = booted(SHOW_SSH.replace('ActiveState=active', 'ActiveState=inactive'), [1, 'disabled']);
    expect(systemdPlan({ name: 'ssh', state: 'started', enabled: true }, active, { check: true })).toMatchObject({ commands: [], result: { changed: false, name: 'ssh', state: 'started', enabled: true, status: { ActiveState: 'active' } } });
    expect(systemdPlan({ name: 'ssh', state: 'started', enabled: true }, inactive, { check: true })).toMatchObject({
      commands: [['systemctl', 'enable', '--', 'ssh'], ['systemctl', 'start', '--', 'ssh']],
      result: { changed: true, enabled: true, state: 'started' },
    });
    expect(systemdPlan({ name: 'ssh', state: 'stopped' }, active, { check: true }).commands).toEqual([['systemctl', 'stop', '--', 'ssh']]);
    expect(systemdPlan({ name: 'ssh', state: 'restarted' }, active, { check: true })).toMatchObject({ commands: [['systemctl', 'restart', '--', 'ssh']], result: { state: 'started' } });
    expect(systemdPlan({ name: 'ssh', state: 'reloaded' }, inactive, { check: true }).commands).toEqual([['systemctl', 'start', '--', 'ssh']]);
    expect(systemdPlan({ name: 'ssh', masked: true, scope: 'user', no_block: true }, active, { check: true }).commands).toEqual([['systemctl', '--user', '--no-block', 'mask', '--', 'ssh']]);
    expect(systemdPlan({ name: 'ssh', masked: false }, booted(SHOW_SSH.replace('LoadState=loaded', 'LoadState=masked'), [1, 'masked']), { check: false }).commands).toEqual([['systemctl', 'unmask', '--', 'ssh']]);
    // is-enabled says "indirect" with rc 0: not enabled, as Ansible reads it.
    expect(systemdPlan({ name: 'x', enabled: true }, booted(SHOW_SSH, [0, 'indirect']), { check: true }).commands).toEqual([['systemctl', 'enable', '--', 'x']]);
  });

  it('a unit systemd does not know: assumed to come in check mode, an error otherwise; a load error fails', () => {
    const nf = booted('Id=nope.service\nLoadState=not-found\nActiveState=inactive\n', [1, '']);
    expect(systemdPlan({ name: 'nope', state: 'started' }, nf, { check: true }).result).toMatchObject({ changed: true, msg: 'Service not found on host, assuming it will exist on full run' });
    expect(systemdPlan({ name: 'nope', state: 'started' }, nf, { check: false }).error).toBe('Could not find the requested service nope: host');
    const bad = booted('LoadState=bad-setting\nLoadError=org.freedesktop.systemd1.BadSetting "Unit x.service has a bad unit file setting."\nActiveState=inactive\n', [1, 'bad']);
    expect(systemdPlan({ name: 'x', state: 'started' }, bad, { check: true }).error).toMatch(/^Error loading unit file 'x': /);
  });

  it('the probe quotes the unit and uses the scope; systemd is the alias of systemd_service', () => {
    const s = unitProbeScript("a'b", 'user');
    expect(s).toContain("systemctl '--user' show '--' 'a'\\''b'");
    expect(canonicalModuleName('ansible.builtin.systemd')).toBe('systemd_service');
    expect(canonicalModuleName('systemd')).toBe('systemd_service');
    expect(canonicalModuleName('ansible.builtin.systemd_service')).toBe('systemd_service');
    for (const n of ['ansible.builtin.uri', 'ansible.builtin.cron', 'ansible.builtin.git', 'kubernetes.core.k8s_drain']) expect(canonicalModuleName(n)).toBe(n.split('.').pop());
  });
});

describe('k8s_drain', () => {
  const a = { name: 'w1', kubeconfig: '/etc/kubernetes/admin.conf', delete_options: { force: true, ignore_daemonsets: true, delete_emptydir_data: true, terminate_grace_period: 30, wait_timeout: 120 } };
  it('renders kubectl drain, cordon and uncordon with delete_options as flags', () => {
    expect(drainCommand(a)).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'drain', 'w1', '--force', '--ignore-daemonsets', '--delete-emptydir-data', '--grace-period=30', '--timeout=120s']);
    expect(drainCommand({ name: 'w1' })).toEqual(['kubectl', 'drain', 'w1', '--timeout=600s']);
    expect(drainCommand({ name: 'w1', state: 'cordon', context: 'lab' })).toEqual(['kubectl', '--context', 'lab', 'cordon', 'w1']);
    expect(drainCommand({ name: 'w1', state: 'uncordon' })).toEqual(['kubectl', 'uncordon', 'w1']);
  });

  it('plans from the node: already cordoned is a no-op with Ansible\'s result text; drain counts the pods it evicts', () => {
    const cordoned = parseNodeProbe('@@unschedulable=true\n');
    expect(drainPlan({ name: 'w1', state: 'cordon' }, cordoned)).toEqual({ result: 'node w1 already marked unschedulable.' });
    expect(drainPlan({ name: 'w1', state: 'uncordon' }, cordoned)).toEqual({ command: ['kubectl', 'uncordon', 'w1'], result: 'node w1 marked schedulable.' });
    expect(drainPlan({ name: 'w1', state: 'uncordon' }, parseNodeProbe('@@unschedulable=\n'))).toEqual({ result: 'node w1 already marked schedulable.' });
    const pods = parseNodeProbe('@@unschedulable=\n@@pods\nkube-system\tkube-proxy-x\tRunning\tDaemonSet\t\ndefault\tweb-1\tRunning\tReplicaSet\t\nkube-system\tetcd-w1\tRunning\tNode\tabc123\n');
    expect(pods.pods).toHaveLength(3);
    expect(drainPlan(a, pods)).toEqual({ command: drainCommand(a), result: 'node w1 marked unschedulable. 1 Pod(s) deleted from node.' });
    const drained = parseNodeProbe('@@unschedulable=true\n@@pods\nkube-system\tkube-proxy-x\tRunning\tDaemonSet\t\n');
    expect(drainPlan(a, drained)).toEqual({ result: 'node w1 already marked unschedulable.' });
    // Without ignore_daemonsets kubectl would refuse the DaemonSet pod: the drain runs and says so.
    expect(drainPlan({ name: 'w1' }, drained).command).toEqual(['kubectl', 'drain', 'w1', '--timeout=600s']);
  });

  it('reads errors: no kubectl, node not found; the probe is quoted and read-only', () => {
    expect(parseNodeProbe('@@error kubectl is not installed on this host (k8s_drain runs kubectl there)\n').error).toContain('kubectl is not installed');
    expect(parseNodeProbe('@@error Error from server (NotFound): nodes "w9" not found\n').error).toContain('NotFound');
    const s = nodeProbeScript({ name: 'w1', kubeconfig: "/k'c" });
    expect(s).toContain("kubectl '--kubeconfig' '/k'\\''c' get node w1 '-o' 'jsonpath={.spec.unschedulable}'");
    expect(s).toContain("get pods '--all-namespaces' '--field-selector=spec.nodeName=w1'");
    expect(s).not.toMatch(/\b(drain|cordon|delete|patch)\b/);
  });

  it('validates: a node name, known delete_options only', () => {
    expect(argErrors(k8sDrain, { name: 'W1 x' })).not.toEqual([]);
    expect(argErrors(k8sDrain, { name: 'w1', delete_options: { forse: true } }).join()).toContain("did you mean 'force'");
    expect(argErrors(k8sDrain, { name: 'w1', state: 'drain', delete_options: { wait_timeout: 10 } })).toEqual([]);
  });
});

describe('cron', () => {
  const base: CronEditArgs = { name: 'job', job: '/bin/true', minute: '*', hour: '*', day: '*', month: '*', weekday: '*', state: 'present', cronFile: false };
  it('renders job lines as get_cron_job: time fields, special time, disabled, user for a cron_file', () => {
    expect(cronJobLine({ ...base, minute: '5', hour: '2' })).toBe('5 2 * * * /bin/true');
    expect(cronJobLine({ ...base, special_time: 'reboot', user: 'root' })).toBe('@reboot root /bin/true');
    expect(cronJobLine({ ...base, disabled: true, job: '\n/bin/true\n' })).toBe('#* * * * * /bin/true');
  });

  it('edits as Ansible: add under the marker, replace, adopt an unmarked equal line, remove, env placement', () => {
    const add = editCrontab(['MAILTO=x', '0 1 * * * other'], base);
    expect(add).toMatchObject({ changed: true, lines: ['MAILTO=x', '0 1 * * * other', '#Ansible: job', '* * * * * /bin/true'] });
    expect(editCrontab(add.lines, base).changed).toBe(false);
    expect(editCrontab(add.lines, { ...base, hour: '3' }).lines.slice(2)).toEqual(['#Ansible: job', '* 3 * * * /bin/true']);
    expect(editCrontab(['* * * * * /bin/true'], base)).toMatchObject({ changed: true, lines: ['#Ansible: job', '* * * * * /bin/true'] });
    expect(editCrontab(add.lines, { ...base, state: 'absent' })).toMatchObject({ changed: true, lines: ['MAILTO=x', '0 1 * * * other'], removeFile: false });
    expect(editCrontab(['#Ansible: job', '* * * * * x'], { ...base, state: 'absent', cronFile: true }).removeFile).toBe(true);
    const env = { ...base, env: true, name: 'PATH', job: '/bin' };
    expect(editCrontab(['MAILTO=x'], env).lines).toEqual(['PATH="/bin"', 'MAILTO=x']);
    expect(editCrontab(['MAILTO=x', 'B=1'], { ...env, insertafter: 'MAILTO' }).lines).toEqual(['MAILTO=x', 'PATH="/bin"', 'B=1']);
    expect(editCrontab(['MAILTO=x'], { ...env, insertbefore: 'NOPE' }).error).toBe("Variable named 'NOPE' not found.");
    expect(renderCrontab(['a', 'b'])).toBe('a\nb\n');
    expect(renderCrontab([])).toBe('');
  });

  it('drops the three header lines an old crontab -l prints, as Ansible does', () => {
    const l = crontabLines('# DO NOT EDIT THIS FILE - edit the master and reinstall.\n# (/tmp/crontab.x installed on Mon)\n# (Cron version -- $Id$)\n* * * * * a\n');
    expect(l.lines).toEqual(['* * * * * a']);
    expect(l.existing).toBe('* * * * * a\n');
  });
});

describe('uri', () => {
  it('puts URL, headers and credentials in curl\'s config and the body in a file, never in argv', () => {
    const r = uriRequest({ url: 'https://h/x?a="1"', method: 'POST', body: { s: 'secret' }, body_format: 'json', headers: { Authorization: 'Bearer tok"en' }, url_username: 'u', url_password: 'p\\w', force_basic_auth: true, validate_certs: false }, '/tmp/d');
    expect(r.config).toBe('url = "https://h/x?a=\\"1\\""\nheader = "Authorization: Bearer tok\\"en"\nheader = "Content-Type: application/json"\nuser = "u:p\\\\w"\n');
    expect(r.body?.toString()).toBe('{"s":"secret"}');
    expect(r.argv).toEqual(['curl', '-sS', '-K', '/tmp/d/k', '-o', '/tmp/d/o', '-D', '/tmp/d/h', '-w', '%{http_code} %{num_redirects} %{url_effective}', '--max-time', '30', '--data-binary', '@/tmp/d/b', '-k', '--basic']);
    const script = uriScript({ url: 'https://h/x', url_password: 'hunter2', url_username: 'u', body: 'topsecret' }, '/tmp/d');
    // The secrets are printf'd into files; the curl line names only the files.
    const curlLine = script.split('\n').find((l) => l.startsWith('curl '))!;
    expect(curlLine).not.toMatch(/hunter2|topsecret|https:\/\/h/);
  });

  it('follows redirects as Ansible\'s safe (GET and HEAD only), names other methods', () => {
    expect(uriRequest({ url: 'http://h/' }, '/d').argv).toContain('-L');
    expect(uriRequest({ url: 'http://h/', method: 'POST', body: 'x' }, '/d').argv).not.toContain('-L');
    expect(uriRequest({ url: 'http://h/', method: 'POST', body: 'x', follow_redirects: 'all' }, '/d').argv).toContain('-L');
    expect(uriRequest({ url: 'http://h/', method: 'DELETE' }, '/d').argv).toEqual(expect.arrayContaining(['-X', 'DELETE']));
    expect(uriRequest({ url: 'http://h/', method: 'HEAD' }, '/d').argv).toContain('--head');
    expect(uriRequest({ url: 'http://h/', url_username: 'u' }, '/d').argv).toContain('--anyauth');
  });

  it('encodes forms as Python\'s urlencode, reads the last response head, knows JSON types', () => {
    expect(formUrlencoded({ a: 'x y', b: [1, true], c: null, d: "~*!'()" })).toBe("a=x+y&b=1&b=True&d=~%2A%21%27%28%29");
    expect(formUrlencoded([['k', 'v']])).toBe('k=v');
    const head = lastResponseHead('HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n');
    expect(head).toEqual({ httpVersion: '1.1', status: 200, reason: 'OK', headers: { 'content-type': 'text/plain', 'set-cookie': 'a=1, b=2' } });
    expect(isJsonType('application/vnd.api+json')).toBe(true);
    expect(isJsonType('text/javascript; charset=utf-8')).toBe(true);
    expect(isJsonType('text/html')).toBe(false);
    expect(curlConfigString('a\nb\t"\\')).toBe('"a\\nb\\t\\"\\\\"');
  });
});

describe('git', () => {
  const LS = ['ref: refs/heads/main\tHEAD', 'aaaa\tHEAD', 'bbbb\trefs/tags/v2', 'cccc\trefs/tags/v2^{}', 'dddd\trefs/heads/dev'];
  it('resolves version from ls-remote: HEAD as the default branch, a branch, an annotated tag\'s commit, a commit id', () => {
    expect(resolveVersion('HEAD', LS)).toEqual({ kind: 'branch', branch: 'main', sha: 'aaaa' });
    expect(resolveVersion('dev', LS)).toEqual({ kind: 'branch', branch: 'dev', sha: 'dddd' });
    expect(resolveVersion('v2', LS)).toEqual({ kind: 'tag', sha: 'cccc' });
    expect(resolveVersion('abcdef1', [], 'abcdef1234')).toEqual({ kind: 'commit', sha: 'abcdef1234' });
    expect(resolveVersion('abcdef1', [])).toEqual({ kind: 'commit', sha: undefined });
    expect(resolveVersion('nope', LS)).toEqual({ kind: 'missing' });
  });
  it('renders clone and update with every value quoted', () => {
    expect(cloneScript({ repo: "/r'x", dest: '/d', depth: 1, version: 'dev' }, { kind: 'branch', branch: 'dev', sha: 'd' })).toContain("git clone '--origin' origin '--depth' 1 '--branch' dev '--' 'file:///r'\\''x' /d");
    const u = updateScript({ repo: '/r', dest: '/d', version: 'dev' }, { kind: 'branch', branch: 'dev', sha: 'd' }, { reset: true, setUrl: false });
    expect(u).toContain("git '-C' /d reset '--hard' HEAD");
    expect(u).toContain("git '-C' /d fetch '--force' origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'");
    expect(u).toContain("git '-C' /d checkout '--force' '-B' dev refs/remotes/origin/dev");
  });
});
