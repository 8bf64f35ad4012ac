/**
 * The lab's SSH proxy with a slow, lossy link: `node delay-proxy.js RTT_MS LOSS_PCT HOST PORT`,
 * run inside the lab's controller namespace in place of `socat STDIO TCP:HOST:PORT`. This
 * machine's kernel has no sch_netem (`tc qdisc add ... netem` answers "Specified qdisc kind is
 * unknown" and there are no modules to load), so the link is emulated on the management path:
 * every chunk waits RTT/2 in each direction, in order; a lost segment (LOSS_PCT of the chunks)
 * waits a retransmission timeout more (200 ms + RTT, Linux's minimum RTO plus a round trip), and
 * everything behind it waits too, as TCP's in-order delivery makes it.
 *
 * An optional sixth argument names a control file: while it exists and holds a number, that number
 * is the loss percentage instead of LOSS_PCT (read every 100 ms), so a loss spike can be started
 * and ended on connections that are already open (bench/faults.mjs does).
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delayed } from './delayed-stream.js';

const [rtt, baseLoss, host, port, control] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, Number(process.argv[5]), process.argv[6]];
let loss = baseLoss;
if (control) {
  const reread = () => {
    let v = baseLoss;
    try {
      const n = Number(readFileSync(control, 'utf8').trim());
      if (Number.isFinite(n) && n >= 0 && n <= 100) v = n;
    } catch {
      // no control file: the configured loss
    }
    loss = v;
  };
  reread();
  setInterval(reread, 100).unref();
}
const link = { oneWay: rtt / 2, rto: 200 + rtt, loss: () => loss };

const socket = connect({ host, port });
socket.on('error', (e) => {
  process.stderr.write(`delay-proxy: ${host}:${port}: ${e.message}\n`);
  process.exit(1);
});
socket.on('connect', () => {
  delayed(process.stdin, socket, link, () => socket.end());
  delayed(socket, process.stdout, link, () => process.exit(0));
});
