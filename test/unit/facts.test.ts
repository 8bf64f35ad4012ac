import { describe, expect, it } from 'vitest';
import { factsScript, gatherFacts, parseFacts } from '../../src/run/facts.js';

// Output in the shape factsScript() gets from Debian 12 (ip -j as iproute2 6.1 prints it), trimmed.
const debian = `uname_s=Linux
kernel=6.1.0-18-amd64
arch=x86_64
nodename=node1.lab.example
pkg_mgr=apt-get
@@os-release
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian

@@end
@@ip-route
[{"dst":"default","gateway":"172.16.1.1","dev":"eth0","protocol":"static","metric":100,"flags":[]},{"dst":"default","gateway":"10.0.0.1","dev":"eth1","metric":600,"flags":[]}]
@@end
@@ip-addr
[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"172.16.1.201","prefixlen":24,"scope":"global"},{"family":"inet","local":"172.16.1.220","prefixlen":32,"scope":"global"}]},{"ifindex":3,"ifname":"eth1","addr_info":[{"family":"inet","local":"10.0.0.5","prefixlen":24,"scope":"global"}]}]
@@end
`;

const ubuntu = `uname_s=Linux
kernel=5.15.0-105-generic
arch=aarch64
nodename=ubu
has_systemd=1
pkg_mgr=apt-get
@@os-release
NAME="Ubuntu"
VERSION_ID="22.04"
ID=ubuntu
ID_LIKE=debian
@@end
@@ip-route

@@end
@@ip-addr
[]
@@end
`;

const rocky = `uname_s=Linux
kernel=5.14.0-362.el9.x86_64
arch=x86_64
nodename=rocky9
has_systemd=1
pkg_mgr=dnf
@@os-release
NAME="Rocky Linux"
VERSION_ID="9.3"
ID="rocky"
ID_LIKE="rhel centos fedora"
@@end
`;

// macOS 14 output of sw_vers, route -n get default and ifconfig -a, in their documented format, trimmed.
const macos = `uname_s=Darwin
kernel=23.4.0
arch=arm64
nodename=Operators-MacBook.local
pkg_mgr=brew
@@sw_vers
ProductName:		macOS
ProductVersion:		14.4.1
BuildVersion:		23E224
@@end
@@route-default
   route to: default
destination: default
       mask: default
    gateway: 192.168.1.1
  interface: en0
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>
 recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
       0         0         0         0         0         0      1500         0
@@end
@@ifconfig
lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384
	inet 127.0.0.1 netmask 0xff000000
	inet6 ::1 prefixlen 128
en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
	ether 3c:22:fb:00:00:01
	inet6 fe80::1%en0 prefixlen 64 secured scopeid 0xe
	inet 192.168.1.23 netmask 0xffffff00 broadcast 192.168.1.255
	status: active
utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380
	inet 172.16.1.100 --> 172.16.1.100 netmask 0xffffffff
@@end
`;

describe('parseFacts', () => {
  it('Debian: family, version, lowest-metric default route, all non-loopback IPv4', () => {
    expect(parseFacts(debian)).toEqual({
      os_family: 'Debian',
      distribution: 'Debian',
      distribution_version: '12',
      kernel: '6.1.0-18-amd64',
      architecture: 'x86_64',
      hostname: 'node1',
      default_ipv4: { interface: 'eth0', gateway: '172.16.1.1', address: '172.16.1.201' },
      all_ipv4_addresses: ['172.16.1.201', '172.16.1.220', '10.0.0.5'],
      has_systemd: false,
      pkg_mgr: 'apt',
    });
  });

  it('Ubuntu is Debian-family; no default route gives {}', () => {
    expect(parseFacts(ubuntu)).toMatchObject({ os_family: 'Debian', distribution: 'Ubuntu', distribution_version: '22.04', has_systemd: true, default_ipv4: {}, all_ipv4_addresses: [], architecture: 'aarch64' });
  });

  it('Rocky is RedHat-family with dnf; no ip output is fine', () => {
    expect(parseFacts(rocky)).toMatchObject({ os_family: 'RedHat', distribution: 'Rocky', distribution_version: '9.3', pkg_mgr: 'dnf', default_ipv4: {} });
  });

  it('macOS: Darwin, sw_vers version, default route and ifconfig addresses', () => {
    expect(parseFacts(macos)).toEqual({
      os_family: 'Darwin',
      distribution: 'MacOSX',
      distribution_version: '14.4.1',
      kernel: '23.4.0',
      architecture: 'arm64',
      hostname: 'Operators-MacBook',
      default_ipv4: { interface: 'en0', gateway: '192.168.1.1', address: '192.168.1.23' },
      all_ipv4_addresses: ['192.168.1.23', '172.16.1.100'],
      has_systemd: false,
      pkg_mgr: 'brew',
    });
  });

  it('unknown pieces degrade to empty values', () => {
    expect(parseFacts('uname_s=FreeBSD\n')).toMatchObject({ os_family: 'FreeBSD', pkg_mgr: 'unknown', default_ipv4: {}, all_ipv4_addresses: [] });
  });
});

describe('gatherFacts', () => {
  it('sends the script once and parses what comes back', async () => {
    const seen: string[] = [];
    const f = await gatherFacts(async (s) => {
      seen.push(s);
      return { rc: 0, stdout: debian, stderr: '' };
    });
    expect(seen).toEqual([factsScript()]);
    expect(f.os_family).toBe('Debian');
  });
  it('a broken shell is an error, not empty facts', async () => {
    await expect(gatherFacts(async () => ({ rc: 127, stdout: '', stderr: 'sh: not found' }))).rejects.toThrow(/not found/);
  });
});
