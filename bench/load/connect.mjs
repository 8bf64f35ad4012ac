#!/usr/bin/env node
// The load generator the seed's operator used ddosify for, small enough to read: run inside the
// lab's workstation (`fabric lab exec workstation -- node bench/load/connect.mjs ...`), it opens
// --count TCP connections to --host:--port, each a new connection from a new kernel-chosen
// source port, at most --concurrency at once, sends one HTTP GET on each and counts the answers
// by body (the lab's responder answers with its node's name). Nothing is retried: a connection
// that is refused, reset, times out (--timeout-ms) or answers anything but 200 counts as failed,
// by reason. Connections not started before --deadline-s are counted as not run.
// Prints one JSON object on stdout. Plain Node, no packages: the lab host runs the machine's node.
import { connect } from 'node:net';

function flag(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const host = flag('host', '172.16.1.220');
const port = Number(flag('port', '80'));
const count = Number(flag('count', '12000'));
const concurrency = Number(flag('concurrency', '64'));
const timeoutMs = Number(flag('timeout-ms', '5000'));
const deadlineMs = Number(flag('deadline-s', '120')) * 1000;
for (const [k, v] of Object.entries({ count, concurrency, timeoutMs, deadlineMs, port })) {
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`connect.mjs: --${k} must be a positive integer\n`);
    process.exit(2);
  }
}

const answers = {};
const failures = {};
const sourcePorts = new Set();
let started = 0;
let peak = 0;
let open = 0;
const t0 = Date.now();

/** One connection, one request; resolves to the node name that answered or throws a reason. */
function once() {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let data = '';
    let settled = false;
    const done = (err, node) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      err ? reject(err) : resolve(node);
    };
    const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      if (sock.localPort) sourcePorts.add(sock.localPort);
      sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    sock.on('data', (d) => (data += d));
    sock.on('error', (e) => done(new Error(e.code ?? e.message)));
    sock.on('end', () => {
      const [head, body = ''] = data.split('\r\n\r\n');
      if (!/^HTTP\/1\.[01] 200 /.test(head)) return done(new Error(head ? `status ${head.split('\r\n')[0]}` : 'empty answer'));
      const node = body.trim();
      node ? done(null, node) : done(new Error('empty body'));
    });
  });
}

async function worker() {
  while (started < count && Date.now() - t0 < deadlineMs) {
    started++;
    open++;
    peak = Math.max(peak, open);
    try {
      const node = await once();
      answers[node] = (answers[node] ?? 0) + 1;
    } catch (e) {
      failures[e.message] = (failures[e.message] ?? 0) + 1;
    }
    open--;
  }
}

await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
const elapsedMs = Date.now() - t0;
const failed = Object.values(failures).reduce((a, b) => a + b, 0);
process.stdout.write(
  JSON.stringify({
    target: `${host}:${port}`,
    requested: count,
    started,
    notRun: count - started,
    answered: started - failed,
    failed,
    failures,
    answers,
    distinctSourcePorts: sourcePorts.size,
    concurrency,
    peakOpen: peak,
    elapsedMs,
  }) + '\n',
);
