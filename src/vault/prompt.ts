/** A password typed on the terminal without echo; without a terminal, a clear error instead of a hang. */
import { InputError } from '../errors.js';
import { EXIT } from '../errors.js';

export function canPrompt(): boolean {
  return !!process.stdin.isTTY;
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C exits 130 as elsewhere. */
export function promptHidden(question: string, why: string): Promise<string> {
  if (!canPrompt()) throw new InputError(`${why} needs a terminal to ask for the vault password, and stdin is not one`, undefined, 'give --vault-password-file FILE or --vault-id label@FILE instead');
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let typed = '';
    const wasRaw = stdin.isRaw;
    // Echo off before the question shows: what is typed as soon as it appears is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {
          done();
          process.exit(EXIT.interrupted);
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
