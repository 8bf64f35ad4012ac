import { hasSecrets, maskSecrets } from '../vars/secrets.js';

type Write = typeof process.stdout.write;

/**
 * Every byte fabric prints goes through here: once a vault value is known (src/vars/secrets.ts),
 * it and whatever was templated from it are masked in the live view, plain lines, --json, diffs,
 * error messages and the recap alike, with no no_log needed. Without secrets it is a pass-through.
 */
export function maskProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!hasSecrets()) return write(chunk, ...rest);
      if (typeof chunk === 'string') return write(maskSecrets(chunk), ...rest);
      if (!(chunk instanceof Uint8Array)) return write(chunk, ...rest);
      return write(maskSecrets(Buffer.from(chunk).toString('utf8')), ...rest);
    }) as Write;
  }
}
