// The per-peer counters of the multicast bus (issue 13 section 1) through the relay, in the stats
// and in Prometheus, on the fake endpoints.
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import { makeFrame } from '../../../src/frame.js';
import { createBridgeMetrics } from '../../../src/metrics/bridge-metrics.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { openFakeEndpoints } from '../../support/fake-endpoints.js';
import { nextTurn } from '../../support/loop-turn.js';

describe('per-peer counters', () => {
  it('count sends, receives and the last-seen time per peer, and a stranger as not_a_peer, in stats and metrics', async () => {
    const { kernel, can, multicast, sockets, destroy } = await openFakeEndpoints(
      {},
      { peers: ['10.2.0.5', '10.3.0.6:43200'] },
    );
    const bridge = new Bridge({ can, multicast, senderId: 'site-a' });
    bridge.start();
    const [unicastRx, peerA, peerB] = [sockets[2], sockets[3], sockets[4]];
    if (unicastRx === undefined || peerA === undefined || peerB === undefined) {
      throw new Error('the bus opened no peer sockets');
    }
    kernel.last.receive([makeFrame({ arbitrationId: 1, isExtendedId: false })]);
    await nextTurn();
    const fromPeer = encodeFrame(
      makeFrame({ arbitrationId: 2, isExtendedId: false, channel: 'b' }),
    );
    unicastRx.receive(fromPeer, { address: '10.3.0.6', port: 51000 });
    unicastRx.receive(fromPeer, { address: '10.4.0.1', port: 43113 });
    await nextTurn();
    // What came from the network goes to CAN only, never back out to the group or a peer.
    expect(kernel.writtenFrames().map((f) => f.arbitrationId)).toEqual([2]);
    expect([peerA.sent.length, peerB.sent.length]).toEqual([1, 1]);

    const stats = bridge.stats();
    expect(stats.multicast.peers).toMatchObject([
      { peer: '10.2.0.5', sent: 1, received: 0, lastSeen: null },
      { peer: '10.3.0.6:43200', sent: 1, received: 1 },
    ]);
    expect(stats.multicast.peers[1]?.lastSeen).toBeGreaterThan(1.7e9);
    expect(stats.multicast.dropped.not_a_peer).toBe(1);

    const registry = createBridgeMetrics(
      {
        stats: () => bridge.stats(),
        health: () => ({
          can: { interface: 'vcan0', state: 'up', busState: null },
          multicast: { group: '239.74.163.2', port: 43113, state: 'open' },
        }),
      },
      { processMetrics: false },
    );
    const text = await registry.metrics();
    expect(text).toContain('cmb_peer_datagrams_sent_total{peer="10.2.0.5"} 1');
    expect(text).toContain('cmb_peer_datagrams_sent_total{peer="10.3.0.6:43200"} 1');
    expect(text).toContain('cmb_peer_send_errors_total{peer="10.2.0.5"} 0');
    expect(text).toContain('cmb_peer_datagrams_received_total{peer="10.3.0.6:43200"} 1');
    expect(text).toMatch(/cmb_peer_last_seen_timestamp_seconds\{peer="10\.3\.0\.6:43200"\} 1\d{9}/);
    expect(text).not.toContain('cmb_peer_last_seen_timestamp_seconds{peer="10.2.0.5"}');
    expect(text).toContain('cmb_dropped_total{direction="to_can",reason="not_a_peer"} 1');
    bridge.close();
    destroy();
  });
});
