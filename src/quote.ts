/**
 * The one quoting function: every value that reaches a shell goes through here.
 * POSIX single quotes make everything literal; an embedded ' becomes '\''.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(s) && !s.startsWith('-')) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Builds a shell command line from an argv array, every word quoted. */
export function shellJoin(argv: ReadonlyArray<string | number>): string {
  return argv.map(quote).join(' ');
}
