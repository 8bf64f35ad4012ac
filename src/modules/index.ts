import apt from './apt.js';
import apt_repository from './apt_repository.js';
import assert from './assert.js';
import authorized_key from './authorized_key.js';
import blockinfile from './blockinfile.js';
import command from './command.js';
import copy from './copy.js';
import cron from './cron.js';
import debug from './debug.js';
import dpkg_selections from './dpkg_selections.js';
import fail from './fail.js';
import fetch from './fetch.js';
import file from './file.js';
import get_url from './get_url.js';
import git from './git.js';
import group from './group.js';
import hostname from './hostname.js';
import ini_file from './ini_file.js';
import include_vars from './include_vars.js';
import k8s_drain from './k8s_drain.js';
import kubectl_apply from './kubectl_apply.js';
import lineinfile from './lineinfile.js';
import meta from './meta.js';
import modprobe from './modprobe.js';
import mount from './mount.js';
import packageModule from './package.js';
import ping from './ping.js';
import raw from './raw.js';
import reboot from './reboot.js';
import replace from './replace.js';
import route from './route.js';
import script from './script.js';
import service from './service.js';
import set_fact from './set_fact.js';
import setup from './setup.js';
import shell from './shell.js';
import slurp from './slurp.js';
import stat from './stat.js';
import sysctl from './sysctl.js';
import systemd_service from './systemd_service.js';
import template from './template.js';
import unarchive from './unarchive.js';
import uri from './uri.js';
import user from './user.js';
import wait_for from './wait_for.js';
import wait_for_connection from './wait_for_connection.js';
import type { ModuleDef } from './types.js';

/** Collection prefixes Ansible users write; `ansible.builtin.copy` is `copy`. */
const PREFIXES = ['ansible.builtin.', 'ansible.posix.', 'community.general.', 'ansible.legacy.', 'kubernetes.core.'];

/**
 * Every module, by the name tasks use: one file per module in this folder, listed here
 * (test/unit/module-registry.test.ts fails on a file missing from the list). Imported statically:
 * planning validates every task against its module, and one bundle loads faster than many files.
 */
const MODULES: Record<string, ModuleDef<any>> = { apt, apt_repository, assert, authorized_key, blockinfile, command, copy, cron, debug, dpkg_selections, fail, fetch, file, get_url, git, group, hostname, include_vars, ini_file, k8s_drain, kubectl_apply, lineinfile, meta, modprobe, mount, package: packageModule, ping, raw, reboot, replace, route, script, service, set_fact, setup, shell, slurp, stat, sysctl, systemd_service, template, unarchive, uri, user, wait_for, wait_for_connection };

/** Other names Ansible gives a module: `systemd` is `systemd_service` (ansible.builtin.systemd too). */
const ALIASES: Record<string, string> = { systemd: 'systemd_service' };

const NAMES = Object.keys(MODULES).sort();
export function moduleNames(): string[] {
  return NAMES;
}

/** The module a task key names (`ansible.builtin.copy` is `copy`), among `known` (built-ins and the playbook's library). */
export function canonicalModuleName(key: string, known: { has(name: string): boolean } = new Set(NAMES)): string | undefined {
  let name = key;
  for (const p of PREFIXES) if (name.startsWith(p)) name = name.slice(p.length);
  if (known.has(name)) return name;
  const alias = ALIASES[name];
  return alias !== undefined && known.has(alias) ? alias : undefined;
}

/** The module called name (a name moduleNames() lists). */
export function loadModule(name: string): Promise<ModuleDef<any>> {
  const m = MODULES[name];
  return m ? Promise.resolve(m) : Promise.reject(new Error(`no module named '${name}'`));
}
