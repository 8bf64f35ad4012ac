/**
 * chmod modes computed in node, so a module can tell "already so" from the probe alone.
 * Octal ("0644", "644", 420) and symbolic ("u+x,go-w", "a=rX") modes, as GNU chmod reads them.
 */

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };
const PERM: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };
/** chmod applies a who-less clause through the umask; hosts run with 022 in practice. */
const ASSUMED_UMASK = 0o022;

export function isOctalMode(mode: string): boolean {
  return /^[0-7]{1,4}$/.test(mode);
}

/**
 * A mode argument as chmod reads it. YAML 1.2 reads an unquoted `0644` as the number 644, so a
 * number whose digits are all octal is taken digit for digit ("644"); other numbers (420 from
 * `0o644`) are converted to octal.
 */
export function modeArg(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return /^[0-7]{1,4}$/.test(String(mode)) ? String(mode) : mode.toString(8);
  return mode.trim();
}

/** Whether a mode argument parses (checked before any host is touched). */
export function validModeArg(mode: string): boolean {
  if (isOctalMode(mode)) return true;
  return mode.split(',').every((c) => /^[ugoa]*([-+=]([rwxXst]*|[ugo]))+$/.test(c));
}

/** The permission bits (incl. setuid/setgid/sticky) after applying mode to current. */
export function applyMode(current: number, mode: string, isDir: boolean): number {
  if (isOctalMode(mode)) return parseInt(mode, 8);
  let bits = current & 0o7777;
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)(.*)$/.exec(clause)!;
    const whoText = m[1]!;
    const who = whoText === '' ? 0o7777 : [...whoText].reduce((a, c) => a | (c === 'a' ? 0o7777 : WHO[c]!), 0);
    const mask = whoText === '' ? ~ASSUMED_UMASK & 0o7777 : 0o7777;
    for (const op of m[2]!.matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      const [, sign, perms] = op as unknown as [string, string, string];
      let p = 0;
      if (perms === 'u' || perms === 'g' || perms === 'o') {
        const shift = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
        const rwx = (bits >> shift) & 7;
        p = rwx * 0o111;
      } else {
        for (const c of perms) {
          if (c === 'X') p |= isDir || (bits & 0o111) !== 0 ? 0o111 : 0;
          else p |= PERM[c]!;
        }
      }
      const affected = p & who & mask;
      if (sign === '+') bits |= affected;
      else if (sign === '-') bits &= ~affected;
      else {
        // `=` clears the who bits (except setuid/setgid on directories, as GNU chmod keeps them).
        const keep = isDir ? 0o6000 : 0;
        bits = (bits & ~(who & 0o7777 & ~keep)) | affected;
      }
    }
  }
  return bits & 0o7777;
}

/** Whether current (octal text as stat prints it) already satisfies the mode argument. */
export function modeSatisfied(current: string | undefined, mode: string | undefined, isDir: boolean): boolean {
  if (mode === undefined) return true;
  if (current === undefined) return false;
  const cur = parseInt(current, 8);
  return applyMode(cur, mode, isDir) === cur;
}

/** Ansible's `mode` text: four octal digits. */
export function modeText(bits: number | string): string {
  const n = typeof bits === 'string' ? parseInt(bits, 8) : bits;
  return n.toString(8).padStart(4, '0');
}
