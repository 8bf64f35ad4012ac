/**
 * The connection holder process (see holder.ts), started detached by the first run that wants it:
 * `node holder-main.js <socket path>`. It prints `ready` once it listens, then only serves.
 */
import { appendFileSync, unlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ConnectionHolder } from './holder.js';

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: holder-main.js <socket path>\n');
  process.exit(2);
}

function log(what: string): void {
  try {
    appendFileSync(join(dirname(socketPath!), 'holder.log'), `${new Date().toISOString()} ${process.pid} ${what}\n`, { mode: 0o600 });
  } catch {
    // nowhere left to report
  }
}

process.on('uncaughtException', (e) => {
  log(`fatal: ${e.stack ?? e.message}`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGHUP', () => undefined); // the terminal that started the first run may close
process.stdout.on('error', () => undefined); // the starting run stops reading after `ready`

const server = createServer();
const ready = () => process.stdout.write('ready\n');

/** Another holder answers there: use it. Nobody answers: the socket is stale, replace it. */
function onListenError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EADDRINUSE') throw e;
  const probe = createConnection(socketPath!);
  probe.on('connect', () => {
    probe.destroy();
    ready();
    process.exit(0);
  });
  probe.on('error', () => {
    unlinkSync(socketPath!);
    server.listen(socketPath);
  });
}

server.on('error', onListenError);
server.listen(socketPath, () => {
  server.off('error', onListenError);
  new ConnectionHolder(server, () => process.exit(0));
  ready();
});
