import { isIP } from 'node:net';

const HOST_RE = /^[A-Za-z0-9_.-]+$/;
const GROUP_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Hosts are DNS-ish names or IP literals (IPv6 included: patterns accept a whole-term IPv6 name). */
export function isValidHostName(name: string): boolean {
  return HOST_RE.test(name) || isIP(name) !== 0;
}

/** Group names must be usable as identifiers in templates (`groups.k8s`), like Ansible's default. */
export function isValidGroupName(name: string): boolean {
  return GROUP_RE.test(name);
}

export const HOST_NAME_RULE = "letters, digits, '_', '.', '-', or an IP address";
export const GROUP_NAME_RULE = "a letter or '_' followed by letters, digits or '_'";

/** Groups every inventory has, whether or not the file names them. */
export const IMPLICIT_GROUPS = ['all', 'ungrouped'] as const;
