import { EXIT, InputError, InputErrors } from '../errors.js';
import { codeFrame, readYamlFile } from '../load/yaml.js';

/** Prints an input error list with code frames; returns exit code 5. */
export function printInputErrors(e: InputError | InputErrors): number {
  const errors = e instanceof InputErrors ? e.errors : [e];
  for (const err of errors) {
    process.stderr.write(`error: ${err.located}\n`);
    if (err.pos && process.env.FABRIC_NO_FRAMES !== '1') {
      try {
        const frame = codeFrame(readYamlFile(err.pos.file), err.pos);
        if (frame) process.stderr.write(frame + '\n');
      } catch {
        // the file itself is unreadable: the one-line error already says where
      }
    }
  }
  process.stderr.write(`${errors.length} error${errors.length === 1 ? '' : 's'}; no host was contacted\n`);
  return EXIT.badInput;
}
