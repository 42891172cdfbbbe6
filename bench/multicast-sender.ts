/**
 * The paced sender of the multicast benchmark (bench/multicast-bench.ts), as cheap as a sender can
 * be in Node so that it, not the receivers, is never the limit: one pre-encoded datagram, a plain
 * dgram socket with multicast loop off (nothing on the sender's host wants its copies), sent in
 * bursts of the frames due each millisecond.
 *
 *   node dist/bench/multicast-sender.js '{"group":"239.74.163.2","port":43113,"iface":"10.0.0.2",
 *     "rate":40000,"count":120000,"datagram":"<hex>"}'
 * prints {"sent":n,"errors":e,"seconds":s} when done.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

interface SenderOptions {
  group: string;
  port: number;
  /** IPv4 address of the interface to send on, or `::%ifname` for IPv6. */
  iface: string;
  rate: number;
  count: number;
  /** The datagram to send, hex. */
  datagram: string;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as SenderOptions;
const datagram = Buffer.from(opts.datagram, 'hex');
const sock = createSocket(isIPv6(opts.group) ? 'udp6' : 'udp4');

sock.bind(0, () => {
  sock.setMulticastTTL(1);
  sock.setMulticastLoopback(false);
  sock.setMulticastInterface(opts.iface);
  let sent = 0;
  let errors = 0;
  let pending = 0;
  let queued = 0;
  const onSent = (err: Error | null): void => {
    pending--;
    if (err) errors++;
    else sent++;
    if (queued === opts.count && pending === 0) {
      const seconds = (performance.now() - start) / 1000;
      process.stdout.write(JSON.stringify({ sent, errors, seconds }) + '\n');
      sock.close();
    }
  };
  const start = performance.now();
  const tick = (): void => {
    const due = Math.min(
      opts.count,
      Math.floor(((performance.now() - start) * opts.rate) / 1000) + 1,
    );
    for (; queued < due; queued++) {
      pending++;
      sock.send(datagram, opts.port, opts.group, onSent);
    }
    if (queued < opts.count) setTimeout(tick, 1);
  };
  tick();
});
