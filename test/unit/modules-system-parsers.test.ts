import { describe, expect, it } from 'vitest';
import { aptPlan, aptProbeScript, parseAptProbe, pkgSpecs } from '../../src/modules/apt.js';
import { deb822Text } from '../../src/modules/apt_repository.js';
import { commandArgv } from '../../src/modules/command.js';
import { kubectlApplyScript, manifestOf } from '../../src/modules/kubectl_apply.js';
import { existsTest, quoteGlob, splitWords } from '../../src/modules/lib/shell-words.js';
import { parseModprobeProbe } from '../../src/modules/modprobe.js';
import { parseServiceProbe, servicePlan } from '../../src/modules/service.js';
import { normalizeValue, persistedValue, procPath, updateSysctlText } from '../../src/modules/sysctl.js';
import pkg from '../../src/modules/package.js';
import apt from '../../src/modules/apt.js';

describe('shell words (command module)', () => {
  it('splits like shlex without expanding anything', () => {
    expect(splitWords(`echo 'a b' "c \\"d\\" $(x)" e\\ f  g`)).toEqual(['echo', 'a b', 'c "d" $(x)', 'e f', 'g']);
    expect(splitWords(`x '' ""`)).toEqual(['x', '', '']);
    expect(() => splitWords(`echo 'open`)).toThrow(/single quote/);
    expect(commandArgv({ argv: ['a b'] })).toEqual(['a b']);
  });
  it('keeps only * and ? as globs in creates/removes', () => {
    expect(quoteGlob("/tmp/a b*'x'?")).toBe(`'/tmp/a b'*''\\''x'\\'''?`);
    expect(existsTest('/tmp/$(x)')).toBe(`[ -e '/tmp/$(x)' ]`);
  });
});

describe('sysctl text', () => {
  it('maps names to /proc/sys like sysctl(8)', () => {
    expect(procPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
    expect(procPath('net.ipv4.conf.eth0/100.rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    expect(procPath('net/ipv4/ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
  });
  it('normalises values: numbers, strings, tabs, booleans', () => {
    expect(normalizeValue(1)).toBe('1');
    expect(normalizeValue(' 1 ')).toBe('1');
    expect(normalizeValue('4096\t87380  6291456')).toBe('4096 87380 6291456');
    expect(normalizeValue(true)).toBe('1');
  });
  it('reads the last assignment and rewrites in place', () => {
    const text = '# c\nnet.ipv4.ip_forward = 0\nnet.ipv4.ip_forwardx=9\nnet.ipv4.ip_forward=2\n';
    expect(persistedValue(text, 'net.ipv4.ip_forward')).toBe('2');
    expect(updateSysctlText(text, 'net.ipv4.ip_forward', '1')).toBe('# c\nnet.ipv4.ip_forward=1\nnet.ipv4.ip_forwardx=9\n');
    expect(updateSysctlText('a=1', 'b', '2')).toBe('a=1\nb=2\n');
    expect(updateSysctlText('', 'b', '2')).toBe('b=2\n');
    expect(updateSysctlText('b=2\n', 'b', undefined)).toBe('');
  });
});

describe('apt', () => {
  it('parses specs and the probe', () => {
    expect(pkgSpecs(['kubelet=1.31.1-1.1', 'curl'])).toEqual([{ name: 'kubelet', version: '1.31.1-1.1' }, { name: 'curl' }]);
    expect(pkgSpecs('a, b')).toEqual([{ name: 'a' }, { name: 'b' }]);
    const out = `@@dpkg
iproute2 install ok installed 6.1.0-3
sl deinstall ok config-files 5.02-1
@@end
@@policy
iproute2:
  Installed: 6.1.0-3
  Candidate: 6.1.0-4
  Version table:
sl:
  Installed: (none)
  Candidate: 5.02-1+b1
@@end
now=1000
stamp=400
`;
    const { pkgs, cacheAge } = parseAptProbe(out);
    expect(pkgs.get('iproute2')).toEqual({ installed: true, version: '6.1.0-3', candidate: '6.1.0-4' });
    expect(pkgs.get('sl')).toEqual({ installed: false, candidate: '5.02-1+b1' });
    expect(cacheAge).toBe(600);
    const specs = pkgSpecs(['iproute2', 'sl', 'curl']);
    expect(aptPlan(specs, 'present', pkgs).map((s) => s.name)).toEqual(['sl', 'curl']);
    expect(aptPlan(specs, 'latest', pkgs).map((s) => s.name)).toEqual(['iproute2', 'sl', 'curl']);
    expect(aptPlan(specs, 'absent', pkgs).map((s) => s.name)).toEqual(['iproute2']);
    expect(aptPlan(pkgSpecs('iproute2=6.1.0-3'), 'present', pkgs)).toEqual([]);
  });
  it('never asks dpkg-query about no names (it would list everything)', () => {
    expect(aptProbeScript([], false)).not.toContain('dpkg-query');
    expect(aptProbeScript(['a', 'b'], false)).toContain("dpkg-query -W -f='${Package} ${Status} ${Version}\\n' a b");
  });
  it('package is apt under another name', () => {
    expect(pkg.name).toBe('package');
    expect(pkg.run).toBe(apt.run);
  });
});

describe('service', () => {
  it('reads systemd and sysv probes', () => {
    expect(parseServiceProbe('init=systemd\nload=loaded\nactive=active\nenabled=disabled\n')).toMatchObject({ init: 'systemd', exists: true, running: true, enabled: false });
    expect(parseServiceProbe('init=systemd\nload=not-found\nactive=inactive\nenabled=\n').exists).toBe(false);
    expect(parseServiceProbe('init=sysv\nscript=1\nstatus=3\nupdatercd=1\nlinks=1\n')).toMatchObject({ init: 'sysv', exists: true, running: false, enabled: false, links: true });
  });
  it('plans systemd commands; enable before start', () => {
    const now = parseServiceProbe('init=systemd\nload=loaded\nactive=inactive\nenabled=disabled\n');
    expect(servicePlan({ name: 'frr', state: 'started', enabled: true }, now).commands).toEqual([
      ['systemctl', 'enable', '--', 'frr'],
      ['systemctl', 'start', '--', 'frr'],
    ]);
    expect(servicePlan({ name: 'frr', state: 'reloaded' }, now).commands).toEqual([['systemctl', 'start', '--', 'frr']]);
  });
  it('sysv without update-rc.d warns instead of failing', () => {
    const now = parseServiceProbe('init=sysv\nscript=1\nstatus=0\n');
    expect(servicePlan({ name: 'x', enabled: true }, now)).toEqual({ commands: [], warnings: ['cannot enable x: no systemd and no update-rc.d'] });
    expect(servicePlan({ name: 'x', state: 'reloaded' }, now).commands).toEqual([['service', 'x', 'reload']]);
  });
});

describe('modprobe probe', () => {
  it('reads loaded state and both files (empty, missing, content)', () => {
    const b64 = Buffer.from('options br x=1\n').toString('base64');
    expect(parseModprobeProbe(`loaded\n@@file\n@@file\n${b64}\n`)).toEqual({ loaded: true, load: '', options: 'options br x=1\n' });
    expect(parseModprobeProbe('unloaded\n@@nofile\n@@nofile\n')).toEqual({ loaded: false, load: undefined, options: undefined });
  });
});

describe('apt_repository deb822', () => {
  it('renders fields in order, omits empty ones', () => {
    expect(deb822Text({ name: 'k8s', uris: 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/', suites: '/', signed_by: '/etc/apt/keyrings/k.gpg' })).toBe(
      'Types: deb\nURIs: https://pkgs.k8s.io/core:/stable:/v1.31/deb/\nSuites: /\nSigned-By: /etc/apt/keyrings/k.gpg\n',
    );
    expect(deb822Text({ name: 'x', types: ['deb', 'deb-src'], uris: ['http://a', 'http://b'], suites: 'bookworm', components: 'main contrib', architectures: 'amd64' })).toBe(
      'Types: deb deb-src\nURIs: http://a http://b\nSuites: bookworm\nComponents: main contrib\nArchitectures: amd64\n',
    );
  });
});

describe('kubectl_apply script (kubectl cannot run here)', () => {
  it('collects objects from multi-document YAML and List', () => {
    expect(manifestOf('kind: A\nmetadata: {name: a}\n---\nkind: List\nitems: [{kind: B, metadata: {name: b}}]\n').objects.map((o) => o.kind)).toEqual(['A', 'B']);
    expect(() => manifestOf('a: [')).toThrow(/not valid YAML/);
    expect(manifestOf([{ kind: 'X' }, { kind: 'Y' }]).text).toBe('kind: X\n---\nkind: Y\n');
  });
  it('check mode stops after diff; apply is server-side; a manifest cannot close the here-document', () => {
    const { text, objects } = manifestOf("kind: Deployment\nmetadata: {name: web}\ndata: \"$(touch /tmp/x) '\"\n");
    const check = kubectlApplyScript({ kubeconfig: '/k conf' }, text, objects, true, 'n0nce');
    expect(check).toContain(`cat > "$f" <<'FABRIC_EOF_n0nce'\n${text}FABRIC_EOF_n0nce\nkubectl '--kubeconfig' '/k conf' diff -f "$f"; rc=$?`);
    expect(check).not.toContain('apply');
    const run = kubectlApplyScript({ wait: true }, text, objects, false, 'n0nce');
    expect(run).toContain('kubectl apply --server-side --field-manager=fabric -f "$f"');
    expect(run).toContain("kubectl rollout status deployment/web '--timeout=300s'");
    expect(() => kubectlApplyScript({}, 'a: 1\nFABRIC_EOF_n0nce\n', [], false, 'n0nce')).toThrow(/delimiter/);
  });
});
