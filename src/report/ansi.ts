/** Ansible's colour names and SGR codes (lib/ansible/utils/color.py, config COLOR_*). */
export const COLOR = {
  ok: '0;32', // green
  changed: '0;33', // yellow
  skip: '0;36', // cyan
  error: '0;31', // red
  unreachable: '1;31', // bright red
  warn: '1;35', // bright purple
  debug: '0;37', // dark gray in Ansible; bright gray reads better on dark terminals
} as const;

export type ColorCode = (typeof COLOR)[keyof typeof COLOR];

/** Wraps each line separately, as Ansible's stringc does, so pagers keep colours per line. */
export function stringc(text: string, code: ColorCode, enabled: boolean): string {
  if (!enabled) return text;
  return text
    .split('\n')
    .map((t) => `\x1b[${code}m${t}\x1b[0m`)
    .join('\n');
}

/** Does the stream want colours: a TTY, and the user did not opt out (no-color.org). */
export function streamWantsColor(out: NodeJS.WritableStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return (out as { isTTY?: boolean }).isTTY === true;
}

/** Ansible's banner width: at least 79 columns, or the terminal width minus one. */
export function streamColumns(out: NodeJS.WritableStream): number {
  const cols = (out as { isTTY?: boolean; columns?: number }).isTTY ? (out as { columns?: number }).columns : undefined;
  return Math.max(79, (cols ?? 0) - 1);
}
