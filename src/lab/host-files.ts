import { lstatSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPaths } from './state.js';
import { prefixLength, type LabHostSpec, type Topology } from './topology.js';

/** The environment every lab process starts from: nothing of the controller's leaks in. */
export const LAB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const LAB_ENV = [`PATH=${LAB_PATH}`, 'HOME=/root', 'USER=root', 'LOGNAME=root', 'SHELL=/bin/bash', 'LANG=C.UTF-8'];

/**
 * Stage 1 runs as PID 1 of the host's fresh PID/mount/UTS namespaces, already inside its netns,
 * at every boot. It mounts a copy-on-write root (overlay of / whose upper layer is the host's
 * "disk", a tmpfs the supervisor keeps across reboots, so layers never overlap), fresh /proc /sys
 * /run /tmp, the host's own /root, a new boot id, pivots into it so no mount of the controller
 * stays reachable, and hands PID 1 over to stage 2 with a minimal environment.
 * Args: host name, host state dir (holding net.batch, fstab and files/).
 */
export const STAGE1 = `#!/bin/bash
set -eu
host=$1 hd=$2
ip -batch "$hd/net.batch"
# One mount(8) for the overlay and everything inside it (a process per mount is slow on a busy machine).
mount --all --fstab "$hd/fstab"
r=$hd/root
# The host's own files go in at its first boot; a reboot finds them, and every change, on its disk.
if [ ! -e "$hd/rw/installed" ]; then
  cp -a --remove-destination "$hd/files/." "$r/"
  : >"$hd/rw/installed"
fi
# The kernel gives a machine a new boot id per boot; reboot waits for it to change.
cat /proc/sys/kernel/random/uuid >"$hd/rw/boot_id"
mount --bind "$hd/rw/boot_id" "$r/proc/sys/kernel/random/boot_id"
name=$host
[ -s "$r/etc/hostname" ] && read -r name <"$r/etc/hostname"
echo "$name" >/proc/sys/kernel/hostname
: >"$hd/booted"
cd "$r"
pivot_root . .
umount -l .
cd /
exec -c /bin/bash /etc/fabric-lab/init
`;

/** fstab fields escape blanks and backslashes in octal. */
function fstabField(s: string): string {
  return s.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The host's mounts, in order: the overlay root (lower /, upper on the host's tmpfs so the
 * layers never overlap), fresh /proc /sys /run /tmp and /dev/shm, the machine's /dev with a
 * private devpts, /root from the host's tmpfs (never the machine's), and an empty tmpfs over the
 * lab's state dir when the overlay shows it (its keys).
 */
export function hostFstab(hd: string, hide: string | undefined, host: string): string {
  const r = join(hd, 'root');
  const rows: [string, string, string, string][] = [
    [`fablab-${host}`, r, 'overlay', `lowerdir=/,upperdir=${hd}/rw/upper,workdir=${hd}/rw/work`],
    ...(hide ? [['fablab-hide', join(r, hide), 'tmpfs', 'mode=0700'] as [string, string, string, string]] : []),
    ['proc', join(r, 'proc'), 'proc', 'defaults'],
    ['sysfs', join(r, 'sys'), 'sysfs', 'defaults'],
    ['/dev', join(r, 'dev'), 'none', 'bind'],
    ['devpts', join(r, 'dev/pts'), 'devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    [join(r, 'dev/pts/ptmx'), join(r, 'dev/ptmx'), 'none', 'bind'],
    ['shm', join(r, 'dev/shm'), 'tmpfs', 'mode=1777'],
    ['run', join(r, 'run'), 'tmpfs', 'mode=0755'],
    ['tmp', join(r, 'tmp'), 'tmpfs', 'mode=1777'],
    [join(hd, 'rw/root'), join(r, 'root'), 'none', 'bind'],
  ];
  return rows.map((row) => `${row.map(fstabField).join(' ')} 0 0`).join('\n') + '\n';
}

/** What stage 2 exits with when the host asked to reboot (its shutdown -r or reboot). */
export const REBOOT_EXIT = 100;

/**
 * The supervisor runs in a mount namespace of its own, where it keeps each host's "disk" (a
 * tmpfs: the overlay's upper layer and /root) across the host's reboots; the machine never sees
 * those mounts, and they go when the lab does. It launches every host with one spawn from node
 * (forks from bash are cheap), boots a host again when it exits asking for a reboot, and stays
 * as the launchers' parent so they are reaped when their host dies; it exits when none is left.
 * Args: stage 1 path, pids file, then host, host dir, netns name per host.
 */
export const SUPERVISOR = `#!/bin/bash
stage1=$1 pids=$2
shift 2
run_host() {
  local host=$1 hd=$2 ns=$3
  mount -t tmpfs -o mode=0755 "fablab-$host" "$hd/rw" || return
  mkdir "$hd/rw/upper" "$hd/rw/work" && mkdir -m 0700 "$hd/rw/root" || return
  while :; do
    nsenter --net="/run/netns/$ns" unshare --mount --pid --uts --fork --propagation private -- /bin/bash "$stage1" "$host" "$hd" </dev/null >>"$hd/boot.log" 2>&1
    rc=$?
    [ "$rc" -eq ${REBOOT_EXIT} ] || return "$rc"
    echo "rebooting" >>"$hd/boot.log"
  done
}
# Boot a few hosts at a time: a hundred at once thrash two cores and all miss their deadline.
max=\${FABRIC_LAB_PARALLEL:-12}
booting=()
while [ $# -ge 3 ]; do
  host=$1 hd=$2 ns=$3
  shift 3
  run_host "$host" "$hd" "$ns" &
  echo "$!" >"$hd/launcher.pid"
  echo "$!" >>"$pids"
  booting+=("$hd")
  while [ \${#booting[@]} -ge "$max" ]; do
    still=()
    for d in "\${booting[@]}"; do
      if [ ! -e "$d/booted" ] && kill -0 "$(cat "$d/launcher.pid")" 2>/dev/null; then still+=("$d"); fi
    done
    booting=("\${still[@]}")
    if [ \${#booting[@]} -ge "$max" ]; then sleep 0.05; fi
  done
done
wait
`;

/**
 * Stage 2, PID 1 inside the host's root: sshd, the HTTP stand-in, then reaps orphans (FRR's
 * daemons) forever. SIGUSR1 (the lab's shutdown -r) ends it asking for a reboot: the kernel then
 * kills every process of the host, as a reboot does.
 */
const STAGE2 = `#!/bin/bash
export ${LAB_ENV.join(' ')}
trap 'exit ${REBOOT_EXIT}' USR1
mkdir -p -m 0755 /run/sshd
/usr/sbin/sshd -D -e -f /etc/fabric-lab/sshd_config 2>>/var/log/fabric-lab-sshd.log &
if [ -x /etc/fabric-lab/http-reply ]; then
  socat -T 10 TCP-LISTEN:80,fork,reuseaddr,backlog=256 EXEC:/etc/fabric-lab/http-reply 2>>/var/log/fabric-lab-http.log &
fi
while :; do wait; sleep 1; done
`;

/**
 * The lab's shutdown and reboot, in place of systemd's (a lab host has no init system): they
 * signal the host's PID 1, which ends the host asking the supervisor to boot it again. What
 * reboot tools are asked is understood (shutdown -r TIME [MESSAGE], shutdown -c, reboot); halt
 * and power-off are refused, since nothing would boot the host again.
 */
const SHUTDOWN = `#!/bin/bash
me=\${0##*/}
when=now
if [ "$me" = shutdown ]; then
  reboot=
  while [ $# -gt 0 ]; do
    case $1 in
      -r|--reboot) reboot=1 ;;
      -c)
        [ -s /run/fabric-lab-reboot.pid ] && kill "$(cat /run/fabric-lab-reboot.pid)" 2>/dev/null
        rm -f /run/fabric-lab-reboot.pid
        exit 0 ;;
      -h|-H|-P|--halt|--poweroff) echo "$me: a lab host cannot halt or power off (fabric lab down stops the lab)" >&2; exit 1 ;;
      -*) echo "$me: $1 is not supported on a lab host" >&2; exit 1 ;;
      *) when=$1; shift; break ;;
    esac
    shift
  done
  [ -n "$reboot" ] || { echo "$me: a lab host can only reboot (-r)" >&2; exit 1; }
fi
case $when in
  now) secs=0 ;;
  +[0-9]*|[0-9]*) m=\${when#+}; [[ $m =~ ^[0-9]+$ ]] || { echo "$me: invalid time $when" >&2; exit 1; }; secs=$((m * 60)) ;;
  *) echo "$me: time $when is not supported on a lab host (now, +MINUTES)" >&2; exit 1 ;;
esac
(sleep "$secs"; kill -USR1 1) </dev/null >/dev/null 2>&1 &
echo "$!" >/run/fabric-lab-reboot.pid
echo "Reboot scheduled in $secs s, use 'shutdown -c' to cancel."
`;

/** One HTTP answer per connection (reads the request first, so closing never resets it). */
const HTTP_REPLY = `#!/bin/sh
cr=$(printf '\\r')
while IFS= read -r line; do [ "\${line%"$cr"}" = "" ] && break; done
body=$(hostname)
printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s\\n' "$((\${#body} + 1))" "$body"
`;

const SSHD_CONFIG = `Port 22
AddressFamily inet
ListenAddress 0.0.0.0
HostKey /etc/fabric-lab/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PidFile /run/sshd.pid
MaxStartups 200:30:400
MaxSessions 64
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`;

function hostsFile(t: Topology, self: LabHostSpec): string {
  const lines = ['127.0.0.1\tlocalhost', `127.0.1.1\t${self.name}`, '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of t.hosts) lines.push(`${h.address}\t${h.name}`);
  return lines.join('\n') + '\n';
}

/** Where shutdown and reboot live: /usr/sbin, and /sbin too unless it is a link there. */
const SBIN_DIRS = lstatSync('/sbin', { throwIfNoEntry: false })?.isSymbolicLink() ? ['usr/sbin'] : ['usr/sbin', 'sbin'];

/** ip -batch lines that configure a namespace's end of its veth. */
export function netBatch(address: string, subnet: string): string {
  return `link set lo up\naddr replace ${address}/${prefixLength(subnet)} dev eth0\nlink set eth0 up\n`;
}

/**
 * Writes a host's state dir: net.batch, empty mount points, and files/ (a tree copied over the
 * host's root: its hostname, hosts, sshd config and key, root's authorized_keys).
 */
export async function writeHostFiles(p: LabPaths, t: Topology, h: LabHostSpec, hostKey: string, clientPub: string, hide?: string): Promise<void> {
  const hd = p.hostDir(h.name);
  const files = join(hd, 'files');
  const lab = join(files, 'etc/fabric-lab');
  await mkdir(join(hd, 'rw'), { recursive: true });
  await mkdir(join(hd, 'root'), { recursive: true });
  await mkdir(lab, { recursive: true, mode: 0o755 });
  await mkdir(join(files, 'root/.ssh'), { recursive: true });
  await chmod(join(files, 'root'), 0o700);
  await chmod(join(files, 'root/.ssh'), 0o700);
  await writeFile(join(hd, 'net.batch'), netBatch(h.address, t.subnet));
  await writeFile(join(hd, 'fstab'), hostFstab(hd, hide, h.name));
  await writeFile(join(files, 'etc/hostname'), `${h.name}\n`);
  await writeFile(join(files, 'etc/hosts'), hostsFile(t, h));
  await writeFile(join(lab, 'init'), STAGE2, { mode: 0o755 });
  await writeFile(join(lab, 'sshd_config'), SSHD_CONFIG, { mode: 0o644 });
  await copyFile(hostKey, join(lab, 'ssh_host_ed25519_key'));
  await chmod(join(lab, 'ssh_host_ed25519_key'), 0o600);
  await copyFile(`${hostKey}.pub`, join(lab, 'ssh_host_ed25519_key.pub'));
  if (h.http) await writeFile(join(lab, 'http-reply'), HTTP_REPLY, { mode: 0o755 });
  // Over the machine's (systemd's) shutdown and reboot, in the host's root only.
  for (const dir of SBIN_DIRS) {
    await mkdir(join(files, dir), { recursive: true });
    for (const name of ['shutdown', 'reboot']) await writeFile(join(files, dir, name), SHUTDOWN, { mode: 0o755 });
  }
  await writeFile(join(files, 'root/.ssh/authorized_keys'), clientPub, { mode: 0o600 });
}
