/**
 * The kernel's receive-buffer drops are counted and reported (issue 9 §3): a burst into a tiny
 * receive buffer, on real sockets in a network namespace, and every datagram is accounted for as
 * received or dropped by the kernel.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ip, NetnsLab, netnsSkipReason } from '../support/netns.js';

const PROBE = fileURLToPath(
  new URL('../../dist/test/fixtures/kernel-drops-probe.js', import.meta.url),
);
const skip = netnsSkipReason('multicast kernel drops') !== null;

/** What the probe prints: the bus's stats after the burst, and how many it sent. */
interface ProbeStats {
  sent: number;
  datagrams: number;
  received: number;
  kernelDrops: number;
  receiveBatchMax: number;
  peers: { received: number }[];
}

/**
 * The probe's burst of 2000 in a fresh namespace (to the group, or with `unicast` to a peer), and
 * the accounting every run must satisfy: each datagram received or dropped by the kernel, and
 * some dropped (the buffer is tiny).
 */
async function burst(lab: NetnsLab, ...mode: string[]): Promise<ProbeStats> {
  const ns = await lab.createNamespace();
  if (mode.length === 0) await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
  const res = await lab.run(ns, process.execPath, [PROBE, '239.74.163.2', '2000', ...mode]);
  expect(res.stderr).toBe('');
  const stats = JSON.parse(res.stdout) as ProbeStats;
  expect(stats.sent).toBe(2000);
  expect(stats.kernelDrops).toBeGreaterThan(0);
  expect(stats.received).toBe(stats.datagrams);
  expect(stats.received + stats.kernelDrops).toBe(2000);
  return stats;
}

describe.skipIf(skip)('multicast kernel drops', () => {
  const lab = skip ? null : new NetnsLab('kdrp');
  afterAll(() => lab?.destroy());

  it('counts what the kernel dropped when the receive buffer overflowed, and loses nothing else', async () => {
    const stats = await burst(lab!);
    expect(stats.receiveBatchMax).toBeGreaterThan(1);
  });

  it("counts the peers' unicast socket's kernel drops the same way (nothing but unicast reaches it)", async () => {
    const stats = await burst(lab!, 'unicast');
    expect(stats.peers[0]?.received).toBe(stats.datagrams);
  });
});
