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

describe.skipIf(skip)('multicast kernel drops', () => {
  const lab = skip ? null : new NetnsLab('kdrp');
  afterAll(() => lab?.destroy());

  it('counts what the kernel dropped when the receive buffer overflowed, and loses nothing else', async () => {
    const ns = await lab!.createNamespace();
    await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    const res = await lab!.run(ns, process.execPath, [PROBE, '239.74.163.2', '2000']);
    expect(res.stderr).toBe('');
    const stats = JSON.parse(res.stdout) as {
      sent: number;
      datagrams: number;
      received: number;
      kernelDrops: number;
      receiveBatches: number;
      receiveBatchMax: number;
    };
    expect(stats.sent).toBe(2000);
    expect(stats.kernelDrops).toBeGreaterThan(0);
    expect(stats.received).toBe(stats.datagrams);
    expect(stats.received + stats.kernelDrops).toBe(2000);
    expect(stats.receiveBatchMax).toBeGreaterThan(1);
  });

  it("counts the peers' unicast socket's kernel drops the same way (nothing but unicast reaches it)", async () => {
    const ns = await lab!.createNamespace();
    const res = await lab!.run(ns, process.execPath, [PROBE, '239.74.163.2', '2000', 'unicast']);
    expect(res.stderr).toBe('');
    const stats = JSON.parse(res.stdout) as {
      sent: number;
      datagrams: number;
      received: number;
      kernelDrops: number;
      peers: { received: number }[];
    };
    expect(stats.sent).toBe(2000);
    expect(stats.kernelDrops).toBeGreaterThan(0);
    expect(stats.received).toBe(stats.datagrams);
    expect(stats.peers[0]?.received).toBe(stats.datagrams);
    expect(stats.received + stats.kernelDrops).toBe(2000);
  });
});
