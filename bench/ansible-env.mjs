// Writes an Ansible inventory and ansible.cfg that reach the lab hosts the same safe way fabric does:
// every SSH connection goes through the lab's proxy argv (socat inside a lab namespace).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A shell-quoted word (ssh runs ProxyCommand through `sh -c`). */
function sq(s) {
  return /^[A-Za-z0-9_./:%@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The OpenSSH ProxyCommand for the lab's proxy argv (%h/%p are OpenSSH's tokens too). */
export function proxyCommandOption(proxyArgv) {
  return proxyArgv.map(sq).join(' ');
}

/**
 * Files under dir: hosts.yml, ansible.cfg, cp/ (ControlPersist sockets). Returns the env that
 * points ansible-playbook at them and the control socket path of each address.
 */
export function writeAnsibleEnv(dir, lab) {
  mkdirSync(join(dir, 'cp'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const argsFor = (proxy) =>
    [`-o ProxyCommand="${proxyCommandOption(proxy)}"`, `-o UserKnownHostsFile=${lab.knownHostsFile}`, '-o StrictHostKeyChecking=yes', '-o GlobalKnownHostsFile=/dev/null'].join(' ');
  const common = argsFor(lab.proxyCommand);
  // A host behind a slow lab link (--delay/--loss) goes through the same delaying proxy fabric uses.
  const own = lab.hostProxies ?? {};
  const hosts = Object.fromEntries(lab.hosts.map((h) => [h.name, { ansible_host: h.address, ...(own[h.name] ? { ansible_ssh_common_args: argsFor(own[h.name]) } : {}) }]));
  const inventory = {
    all: {
      vars: {
        ansible_user: 'root',
        ansible_port: 22,
        ansible_ssh_private_key_file: lab.keyFile,
        ansible_ssh_common_args: common,
        ansible_python_interpreter: '/usr/bin/python3',
      },
      children: { bench: { hosts } },
    },
  };
  // JSON is YAML: no quoting surprises in the ProxyCommand.
  writeFileSync(join(dir, 'hosts.yml'), JSON.stringify(inventory, null, 2) + '\n');
  const cfg = [
    '[defaults]',
    `inventory = ${join(dir, 'hosts.yml')}`,
    'forks = 5',
    'host_key_checking = True',
    'gathering = explicit',
    'retry_files_enabled = False',
    'interpreter_python = /usr/bin/python3',
    `local_tmp = ${join(dir, 'tmp')}`,
    'deprecation_warnings = False',
    '',
    '[ssh_connection]',
    'pipelining = True',
    'ssh_args = -o ControlMaster=auto -o ControlPersist=60s',
    `control_path_dir = ${join(dir, 'cp')}`,
    'control_path = %(directory)s/%%h',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'ansible.cfg'), cfg);
  return {
    env: { ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
    controlPaths: lab.hosts.map((h) => ({ address: h.address, path: join(dir, 'cp', h.address) })),
  };
}
