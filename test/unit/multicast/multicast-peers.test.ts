// The unicast peers of MulticastBus (issue 13 section 1) on fake sockets: what goes where, what is
// accepted from whom, name resolution over time, and the counters.
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import type {
  MulticastBusDeps,
  MulticastBusOptions,
  ReceivedFrame,
} from '../../../src/multicast/multicast-bus-types.js';
import type { ResolveHost } from '../../../src/multicast/peer-resolver.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { fakeSocketFactory, loopbackOnly, systemError } from '../../support/fake-udp-socket.js';
import type { FakeUdpSocket } from '../../support/fake-udp-socket.js';
import { nextTurn } from '../../support/loop-turn.js';
import { ManualTimers } from '../../support/manual-timers.js';

const GROUP = '239.74.163.2';
const frame = makeFrame({
  timestamp: 1700000000.25,
  arbitrationId: 0x123,
  isExtendedId: false,
  data: Uint8Array.of(1, 2, 3),
  channel: 'site-a',
});

function setup(options: MulticastBusOptions, deps: MulticastBusDeps = {}) {
  const { factory, sockets } = fakeSocketFactory();
  const timers = new ManualTimers();
  const bus = new MulticastBus(options, {
    socketFactory: factory,
    networkInterfaces: loopbackOnly,
    timers,
    clock: () => 1234.5,
    interfaceCheckIntervalMs: 0,
    ...deps,
  } as MulticastBusDeps);
  const frames: ReceivedFrame[] = [];
  bus.on('frame', (rx) => frames.push(rx));
  const socket = (i: number): FakeUdpSocket => {
    const s = sockets[i];
    if (s === undefined) throw new Error(`socket ${i} not created`);
    return s;
  };
  return { bus, sockets, socket, timers, frames };
}

const sentTo = (sock: FakeUdpSocket) =>
  sock.sent.map((d) => ({ address: d.address, port: d.port, connected: d.connected }));

describe('MulticastBus peers', () => {
  it('sends every datagram to the group and to each peer, one sendmmsg per destination per turn', async () => {
    const { bus, socket } = setup({
      group: GROUP,
      interfaceCheckIntervalMs: 0,
      peers: ['10.2.0.5', '10.3.0.6:43200'],
    });
    await bus.start();
    // 0: group receive, 1: group send, 2: unicast receive, 3 and 4: one send socket per peer.
    const [groupTx, peerA, peerB] = [socket(1), socket(3), socket(4)];
    for (const tx of [peerA, peerB]) {
      expect(tx.bound).toEqual({ address: '0.0.0.0', port: 0 });
      // Unicast keeps the kernel's TTL: the group's hop limit of 1 would not cross a router.
      expect(tx.ttl).toBeNull();
      expect(tx.connectedTo).toBeNull();
    }
    bus.send(frame);
    bus.send(frame);
    await nextTurn();
    expect(groupTx.sendBatches).toEqual([2]);
    expect(peerA.sendBatches).toEqual([2]);
    expect(peerB.sendBatches).toEqual([2]);
    expect(sentTo(peerA)[0]).toEqual({ address: '10.2.0.5', port: 43113, connected: false });
    expect(sentTo(peerB)[0]).toEqual({ address: '10.3.0.6', port: 43200, connected: false });
    // Byte for byte the group's datagram.
    expect(peerA.sent[0]?.msg).toEqual(groupTx.sent[0]?.msg);
    expect(peerA.sent[0]?.msg).toEqual(Uint8Array.from(encodeFrame(frame)));
    const stats = bus.stats();
    expect(stats.sent).toBe(6);
    expect(stats.peers).toEqual([
      {
        peer: '10.2.0.5',
        address: '10.2.0.5',
        port: 43113,
        sent: 2,
        sendErrors: 0,
        received: 0,
        lastSeen: null,
      },
      {
        peer: '10.3.0.6:43200',
        address: '10.3.0.6',
        port: 43200,
        sent: 2,
        sendErrors: 0,
        received: 0,
        lastSeen: null,
      },
    ]);
    await bus.close();
    for (const s of [socket(2), peerA, peerB]) expect(s.closed).toBe(true);
  });

  it('receives unicast on the wildcard address of the port, multicast kept off in the kernel (IP_MULTICAST_ALL off)', async () => {
    const { bus, socket } = setup({ group: GROUP, peers: ['10.2.0.5'] });
    await bus.start();
    const urx = socket(2);
    expect(urx.options).toEqual({ type: 'udp4', reuseAddr: true, multicastAll: false });
    expect(urx.bound).toEqual({ address: '0.0.0.0', port: 43113 });
    expect(urx.filters).toEqual([]);
    expect(urx.memberships).toEqual([]);
    await bus.close();
  });

  it("counts the unicast socket's kernel drops (overflow only: no multicast reaches it) in kernelDrops", async () => {
    const { bus, socket } = setup({ group: GROUP, peers: ['10.2.0.5'] });
    await bus.start();
    socket(0).drops = 3;
    socket(2).drops = 5;
    expect(bus.stats().kernelDrops).toBe(8);
    await bus.close();
    // Kept after close, with the sockets gone.
    expect(bus.stats().kernelDrops).toBe(8);
  });

  it("accepts unicast from a peer's address only: others are counted as not_a_peer and dropped", async () => {
    const { bus, socket, frames } = setup({
      group: GROUP,
      peers: ['10.2.0.5'],
      acceptUnicastFrom: (a) => a.startsWith('10.9.'),
    });
    await bus.start();
    const urx = socket(2);
    const msg = encodeFrame(frame);
    urx.receive(msg, { address: '10.2.0.5', port: 50123 });
    urx.receive(msg, { address: '10.7.0.1', port: 43113 });
    urx.receive(msg, { address: '10.9.0.1', port: 43113 });
    expect(frames.map((f) => f.source.address)).toEqual(['10.2.0.5', '10.9.0.1']);
    const stats = bus.stats();
    expect(stats.dropped).toEqual({ not_a_peer: 1 });
    expect(stats.datagrams).toBe(3);
    expect(stats.received).toBe(2);
    expect(stats.peers[0]).toMatchObject({ received: 1, lastSeen: 1234.5 });
    await bus.close();
  });

  it('works without a group ("none"): peers only, their family, no group sockets', async () => {
    const { bus, sockets, socket } = setup({ group: 'none', port: 0, peers: ['[fd00::5]:43113'] });
    await bus.start();
    expect(sockets).toHaveLength(2);
    expect(socket(0).options).toEqual({ type: 'udp6', reuseAddr: true, multicastAll: false });
    expect(socket(0).bound).toEqual({ address: '::', port: 0 });
    expect(socket(0).filters).toEqual([]);
    expect(bus.info).toMatchObject({ group: 'none', family: 6, sendPort: -1 });
    await bus.sendAsync(frame);
    expect(sentTo(socket(1))).toEqual([{ address: 'fd00::5', port: 43113, connected: false }]);
    await bus.close();
  });

  it.each([
    [{ group: 'none' }, 'group "none" needs at least one peer'],
    [{ group: GROUP, peers: ['[fd00::1]'] }, 'peer [fd00::1] is IPv6 but the group'],
    [{ group: 'none', peers: ['10.0.0.1', '[fd00::1]'] }, 'peers must be of one IP family'],
    [{ group: GROUP, port: 0, peers: ['10.0.0.1'] }, 'needs a port when the bus port is 0'],
    [{ group: GROUP, peers: ['10.0.0.1:x'] }, 'invalid peer "10.0.0.1:x"'],
    [{ group: GROUP, peers: ['x'], peerResolveMs: 0 }, 'peer resolve interval'],
    [{ group: GROUP, bindGroup: false, peers: ['10.0.0.1'] }, 'bound to the group'],
  ])('refuses %j with ERR_INVALID_OPTION, opening nothing', async (options, message) => {
    const { bus, sockets } = setup(options);
    await expect(bus.start()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(setup(options).bus.start()).rejects.toThrow(message);
    expect(sockets.every((s) => s.closed)).toBe(true);
  });

  it('resolves names at start and every peerResolveMs, follows a change and keeps the last answer when the resolver fails', async () => {
    const answers: (string[] | Error)[] = [['10.2.0.5', '10.2.0.6'], new Error('EAI_AGAIN'), []];
    const calls: [string, number][] = [];
    const resolveHost: ResolveHost = (name, family) => {
      calls.push([name, family]);
      const next = answers.shift() ?? ['10.2.0.9'];
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    };
    const { bus, socket, timers, frames } = setup(
      { group: GROUP, peers: ['site-b.example', 'site-b.example:43200'], peerResolveMs: 1000 },
      { resolveHost },
    );
    await bus.start();
    expect(calls).toEqual([['site-b.example', 4]]);
    const [urx, peer] = [socket(2), socket(3)];
    bus.send(frame);
    await nextTurn();
    // A name goes to its first address; every address of it is accepted.
    expect(sentTo(peer)).toEqual([{ address: '10.2.0.5', port: 43113, connected: false }]);
    urx.receive(encodeFrame(frame), { address: '10.2.0.6', port: 40000 });
    expect(frames).toHaveLength(1);
    // A failed lookup, then an empty answer: the last good one stays.
    for (let i = 0; i < 2; i++) {
      timers.advance(1000);
      await nextTurn();
    }
    expect(bus.stats().peers[0]?.address).toBe('10.2.0.5');
    timers.advance(1000);
    await nextTurn();
    expect(calls).toHaveLength(4);
    expect(bus.stats().peers.map((p) => p.address)).toEqual(['10.2.0.9', '10.2.0.9']);
    bus.send(frame);
    await nextTurn();
    expect(sentTo(peer)[1]).toEqual({ address: '10.2.0.9', port: 43113, connected: false });
    urx.receive(encodeFrame(frame), { address: '10.2.0.5', port: 40000 });
    expect(bus.stats().dropped).toEqual({ not_a_peer: 1 });
    await bus.close();
    expect(timers.active).toBe(0);
  });

  it('drops a frame with nowhere to go (no group, no peer resolved yet) as no_destination', async () => {
    const resolveHost: ResolveHost = () => Promise.reject(new Error('ENOTFOUND'));
    const { bus } = setup({ group: 'none', peers: ['site-b.example'] }, { resolveHost });
    await bus.start();
    await expect(bus.sendAsync(frame)).rejects.toMatchObject({ code: 'ERR_MULTICAST_SEND' });
    expect(bus.stats().dropped).toEqual({ no_destination: 1 });
    await bus.close();
  });

  it("counts a peer's failed send on that peer; the group and the other peers still get theirs", async () => {
    const { bus, socket } = setup({ group: GROUP, peers: ['10.2.0.5', '10.3.0.6'] });
    await bus.start();
    socket(3).sendError = systemError('EHOSTUNREACH', -113, 'sendmmsg');
    await expect(bus.sendAsync(frame)).rejects.toMatchObject({
      code: 'ERR_MULTICAST_SEND',
      cause: { code: 'EHOSTUNREACH' },
    });
    expect(socket(1).sent).toHaveLength(1);
    expect(socket(4).sent).toHaveLength(1);
    const stats = bus.stats();
    expect(stats.sendErrors).toBe(1);
    expect(stats.sent).toBe(2);
    expect(stats.peers.map((p) => [p.sent, p.sendErrors])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    await bus.close();
  });

  it('still refuses an invalid frame before anything is queued', async () => {
    const { bus, socket } = setup({ group: GROUP, peers: ['10.2.0.5'] });
    await bus.start();
    const bad = { ...frame, arbitrationId: 0x800 };
    expect(() => bus.send(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FRAME' }));
    await nextTurn();
    expect(socket(1).sent).toHaveLength(0);
    expect(socket(3).sent).toHaveLength(0);
    expect(decodeDatagram(encodeFrame(frame)).ok).toBe(true);
    await bus.close();
  });
});
