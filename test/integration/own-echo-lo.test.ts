/**
 * Regression: multicast looped back over `lo` arrives with source address 0.0.0.0 (Linux), so the
 * own-echo check must count the unspecified address as local. Found when the daemon in the test
 * VM (whose only multicast route is `224.0.0.0/4 dev lo`) relayed its own frames back to itself.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ip, NetnsLab, netnsSkipReason } from '../support/netns.js';

const PROBE = fileURLToPath(new URL('../../dist/test/fixtures/own-echo-probe.js', import.meta.url));
const skip = netnsSkipReason('own echo over lo') !== null;

describe.skipIf(skip)('own echo over lo', () => {
  const lab = skip ? null : new NetnsLab('echo');
  afterAll(() => lab?.destroy());

  it('drops our own datagram looped back over lo as own_echo, never delivering it (no kernel filter)', async () => {
    const ns = await lab!.createNamespace();
    await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    const res = await lab!.run(ns, process.execPath, [PROBE, '239.74.163.2', '--js-only']);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toMatchObject({
      datagrams: 1,
      received: 0,
      sent: 1,
      dropped: { own_echo: 1 },
    });
  });

  it('the kernel own-echo filter drops it before it reaches the process (source 0.0.0.0 listed)', async () => {
    const ns = await lab!.createNamespace();
    await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    const res = await lab!.run(ns, process.execPath, [PROBE, '239.74.163.2']);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({
      datagrams: 0,
      received: 0,
      sent: 1,
      sendErrors: 0,
      receiveErrors: 0,
      rejoins: 0,
      kernelDrops: 0,
      receiveBatches: 0,
      receiveBatchMax: 0,
      sendBatches: 1,
      sendBatchMax: 1,
      dropped: {},
      // No unicast peers configured: none listed.
      peers: [],
    });
  });
});
