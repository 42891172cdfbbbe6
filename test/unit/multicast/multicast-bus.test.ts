import type { NetworkInterfaceInfo } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { encodeFrame, encodeFrameInto } from '../../../src/protocol/encode-frame.js';
import {
  DEFAULT_GROUP_IPV4,
  DEFAULT_GROUP_IPV6,
  DEFAULT_PORT,
} from '../../../src/multicast/defaults.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import type {
  MulticastBusDeps,
  MulticastBusOptions,
  ReceivedFrame,
} from '../../../src/multicast/multicast-bus-types.js';
import { fakeSocketFactory, systemError } from '../../support/fake-udp-socket.js';
import type { FakeUdpSocket } from '../../support/fake-udp-socket.js';

const LOCAL_V4 = '10.9.0.1';
const REMOTE_V4 = '10.9.0.2';

function iface(address: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo {
  const base = { netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr: null };
  return family === 'IPv4'
    ? { ...base, address, family }
    : { ...base, address, family, scopeid: 0 };
}

const interfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
  lo: [iface('127.0.0.1', 'IPv4'), iface('::1', 'IPv6')],
  eth9: [iface(LOCAL_V4, 'IPv4'), iface('fd00:9::1', 'IPv6'), iface('fe80::1', 'IPv6')],
});

function setup(
  options: MulticastBusOptions = {},
  deps: MulticastBusDeps = {},
): {
  bus: MulticastBus;
  sockets: FakeUdpSocket[];
  rx: () => FakeUdpSocket;
  tx: () => FakeUdpSocket;
} {
  const { factory, sockets } = fakeSocketFactory();
  const bus = new MulticastBus(
    { group: DEFAULT_GROUP_IPV4, ...options },
    { socketFactory: factory, networkInterfaces: interfaces, clock: () => 1234.5, ...deps },
  );
  const get = (i: number) => (): FakeUdpSocket => {
    const s = sockets[i];
    if (s === undefined) throw new Error(`socket ${i} not created`);
    return s;
  };
  return { bus, sockets, rx: get(0), tx: get(1) };
}

const frame = makeFrame({
  timestamp: 1700000000.25,
  arbitrationId: 0x123,
  isExtendedId: false,
  data: Uint8Array.of(1, 2, 3),
  channel: 'vcan0',
});

describe('MulticastBus', () => {
  it('exports python-can defaults', () => {
    expect(DEFAULT_GROUP_IPV4).toBe('239.74.163.2');
    expect(DEFAULT_GROUP_IPV6).toBe('ff15:7079:7468:6f6e:6465:6d6f:6d63:6173');
    expect(DEFAULT_PORT).toBe(43113);
  });

  it('binds the receive socket to the group with SO_REUSEADDR and sends from an ephemeral port', async () => {
    const { bus, rx, tx } = setup({ interface: 'eth9', hopLimit: 3 });
    await bus.start();
    expect(rx().options).toMatchObject({ type: 'udp4', reuseAddr: true });
    expect(rx().bound).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(rx().memberships).toEqual([[DEFAULT_GROUP_IPV4, LOCAL_V4]]);
    expect(tx().options.reuseAddr).toBeUndefined();
    expect(tx().bound).toEqual({ port: 0, address: '0.0.0.0' });
    expect(tx().ttl).toBe(3);
    expect(tx().loopback).toBe(true);
    expect(tx().multicastInterface).toBe(LOCAL_V4);
    expect(bus.info).toMatchObject({ family: 4, port: 43113, sendPort: 50001, interface: 'eth9' });
    await bus.close();
  });

  it('uses the interface index (::%ifname) for IPv6 and the default group is IPv6', async () => {
    const { bus, rx, tx } = setup({ group: undefined, interface: 'eth9' });
    await bus.start();
    expect(rx().options.type).toBe('udp6');
    expect(rx().bound).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV6 });
    expect(rx().memberships).toEqual([[DEFAULT_GROUP_IPV6, '::%eth9']]);
    expect(tx().multicastInterface).toBe('::%eth9');
    expect(tx().ttl).toBe(1);
    await bus.close();
  });

  it('scopes a link-local IPv6 group to the interface', async () => {
    const { bus, rx } = setup({ group: 'ff12::1234', interface: 'eth9' });
    await bus.start();
    expect(rx().bound?.address).toBe('ff12::1234%eth9');
    await bus.close();
  });

  it('joins on the default interface when none is named (python-can: INADDR_ANY)', async () => {
    const { bus, rx, tx } = setup();
    await bus.start();
    expect(rx().memberships).toEqual([[DEFAULT_GROUP_IPV4, undefined]]);
    expect(tx().multicastInterface).toBeNull();
    await bus.close();
  });

  it('reports the receive buffer the kernel granted when it caps the request', async () => {
    const { bus } = setup({ receiveBufferBytes: 8 * 1024 * 1024 });
    await bus.start();
    expect(bus.info?.receiveBufferRequestedBytes).toBe(8 * 1024 * 1024);
    expect(bus.info?.receiveBufferBytes).toBe(4 * 1024 * 1024);
    await bus.close();
  });

  it('keeps the kernel default receive buffer for 0 (SO_RCVBUF 0 would be its minimum) and does not warn', async () => {
    const lines: { level: number }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (s: string) => lines.push(JSON.parse(s) as { level: number }) },
    );
    const { bus, rx } = setup({ receiveBufferBytes: 0 }, { logger });
    await bus.start();
    expect(rx().recvBufferSize).toBe(212992);
    expect(bus.info?.receiveBufferBytes).toBe(212992 / 2);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await bus.close();
  });

  it.each([
    ['10.0.0.1', 'ERR_INVALID_GROUP'],
    ['240.0.0.1', 'ERR_INVALID_GROUP'],
    ['fd00::1', 'ERR_INVALID_GROUP'],
    ['::', 'ERR_INVALID_GROUP'],
    ['ff15::1%eth9', 'ERR_INVALID_GROUP'],
    ['not-an-address', 'ERR_INVALID_GROUP'],
    ['ff02::1', 'ERR_INVALID_OPTION'],
  ])('rejects group %s with %s before opening a socket', async (group, code) => {
    const { bus, sockets } = setup({ group });
    await expect(bus.start()).rejects.toMatchObject({ code });
    expect(sockets).toHaveLength(0);
  });

  it.each([
    [{ port: 70000 }, 'ERR_INVALID_OPTION'],
    [{ hopLimit: 256 }, 'ERR_INVALID_OPTION'],
    [{ receiveBufferBytes: -1 }, 'ERR_INVALID_OPTION'],
    [{ receiveBufferBytes: 1.5 }, 'ERR_INVALID_OPTION'],
    [{ interface: 'nope0' }, 'ERR_UNKNOWN_INTERFACE'],
  ])('rejects options %o with %s', async (options, code) => {
    const { bus } = setup(options);
    await expect(bus.start()).rejects.toMatchObject({ code });
  });

  it('fails with ERR_MULTICAST_BIND carrying errno and syscall, and closes what it opened', async () => {
    const { factory, sockets } = fakeSocketFactory();
    const failing: typeof factory = (options) => {
      const sock = factory(options);
      sock.bindError = systemError('EADDRINUSE', -98, 'bind');
      return sock;
    };
    const bus = new MulticastBus({ group: DEFAULT_GROUP_IPV4 }, { socketFactory: failing });
    const err: unknown = await bus.start().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_MULTICAST_BIND',
      sysCode: 'EADDRINUSE',
      errno: -98,
      syscall: 'bind',
    });
    expect((err as Error).cause).toMatchObject({ code: 'EADDRINUSE' });
    expect(sockets[0]?.closed).toBe(true);
    expect(() => bus.send(frame)).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
  });

  it('fails with ERR_MULTICAST_JOIN when the membership cannot be added', async () => {
    const { factory } = fakeSocketFactory();
    const failing: typeof factory = (options) => {
      const sock = factory(options);
      sock.membershipError = systemError('ENODEV', -19, 'addMembership');
      return sock;
    };
    const bus = new MulticastBus({ group: DEFAULT_GROUP_IPV4 }, { socketFactory: failing });
    await expect(bus.start()).rejects.toMatchObject({
      code: 'ERR_MULTICAST_JOIN',
      sysCode: 'ENODEV',
    });
  });

  it('fails with ERR_MULTICAST_SOCKET when a socket option cannot be set', async () => {
    const { factory, sockets } = fakeSocketFactory();
    const failing: typeof factory = (options) => {
      const sock = factory(options);
      sock.ttlError = systemError('EINVAL', -22, 'setMulticastTTL');
      return sock;
    };
    const bus = new MulticastBus({ group: DEFAULT_GROUP_IPV4 }, { socketFactory: failing });
    await expect(bus.start()).rejects.toMatchObject({
      code: 'ERR_MULTICAST_SOCKET',
      sysCode: 'EINVAL',
      syscall: 'setMulticastTTL',
    });
    expect(sockets.every((s) => s.closed)).toBe(true);
  });

  it('sends the codec bytes to the group and port, counting sent', async () => {
    const { bus, tx } = setup();
    await bus.start();
    await bus.sendAsync(frame);
    bus.send(frame);
    await bus.close();
    expect(tx().sent).toHaveLength(2);
    expect(Buffer.from(tx().sent[0]?.msg ?? [])).toEqual(encodeFrame(frame));
    expect(tx().sent[0]).toMatchObject({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(bus.stats()).toMatchObject({ sent: 2, sendErrors: 0 });
  });

  it('connects the send socket to group:port once, after the multicast interface, and sends without an address', async () => {
    const { bus, tx } = setup({ interface: 'eth9' });
    await bus.start();
    expect(tx().connectedTo).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    bus.send(frame);
    await bus.close();
    expect(tx().sent.map((d) => d.connected)).toEqual([true]);
    expect(bus.info?.sendPort).toBe(50001);
  });

  it('connects to a link-local IPv6 group with its %scope (the kernel binds the socket to that interface)', async () => {
    const { bus, tx } = setup({ group: 'ff12::1234', interface: 'eth9' });
    await bus.start();
    expect(tx().multicastInterface).toBe('::%eth9');
    expect(tx().connectedTo).toEqual({ port: 43113, address: 'ff12::1234%eth9' });
    await bus.close();
  });

  it('sends with the address when connect fails (no route to the group yet)', async () => {
    const { factory, sockets } = fakeSocketFactory();
    const noRoute: typeof factory = (options) => {
      const sock = factory(options);
      sock.connectError = systemError('ENETUNREACH', -101, 'connect');
      return sock;
    };
    const bus = new MulticastBus({ group: DEFAULT_GROUP_IPV4 }, { socketFactory: noRoute });
    await bus.start();
    await bus.sendAsync(frame);
    await bus.close();
    expect(sockets[1]?.connectedTo).toBeNull();
    expect(sockets[1]?.sent).toMatchObject([
      { port: 43113, address: DEFAULT_GROUP_IPV4, connected: false },
    ]);
    expect(bus.stats()).toMatchObject({ sent: 1, sendErrors: 0 });
  });

  it('refuses an invalid frame with the codec error and sends nothing', async () => {
    const { bus, tx } = setup();
    await bus.start();
    const bad = makeFrame({ arbitrationId: 0x800, isExtendedId: false });
    expect(() => bus.send(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FRAME' }));
    await expect(bus.sendAsync(bad)).rejects.toMatchObject({ code: 'ERR_INVALID_FRAME' });
    expect(tx().sent).toHaveLength(0);
    await bus.close();
  });

  it('refuses to send before start', () => {
    const { bus } = setup();
    expect(() => bus.send(frame)).toThrow(expect.objectContaining({ code: 'ERR_BUS_NOT_STARTED' }));
  });

  it('counts a failed send and rejects sendAsync with ERR_MULTICAST_SEND', async () => {
    const { bus, tx } = setup();
    await bus.start();
    tx().sendError = systemError('ENETUNREACH', -101, 'send');
    await expect(bus.sendAsync(frame)).rejects.toMatchObject({
      code: 'ERR_MULTICAST_SEND',
      sysCode: 'ENETUNREACH',
    });
    bus.send(frame);
    await bus.close();
    expect(bus.stats()).toMatchObject({ sent: 0, sendErrors: 2 });
  });

  it('counts a send the socket refuses by throwing (closed under it) and still closes', async () => {
    const { bus, tx } = setup();
    await bus.start();
    tx().send = () => {
      throw systemError('ERR_SOCKET_CLOSED', 0, 'send');
    };
    // Queued now, refused at the flush: counted there, never thrown out of send().
    expect(() => bus.send(frame)).not.toThrow();
    await bus.close();
    expect(bus.stats()).toMatchObject({ sent: 0, sendErrors: 1 });
  });

  it('drops its own looped-back datagrams but delivers python-can frames from this host', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const got: ReceivedFrame[] = [];
    bus.on('frame', (r) => got.push(r));
    const bytes = encodeFrame(frame);
    const sendPort = bus.info?.sendPort ?? -1;
    rx().receive(bytes, { address: LOCAL_V4, port: sendPort }); // own echo
    rx().receive(bytes, { address: '127.0.0.1', port: sendPort }); // own echo via lo
    rx().receive(bytes, { address: LOCAL_V4, port: 43113 }); // python-can on this host
    rx().receive(bytes, { address: REMOTE_V4, port: sendPort }); // another host, same port number
    expect(got.map((r) => r.source)).toEqual([
      { address: LOCAL_V4, port: 43113, family: 'IPv4', size: bytes.length },
      { address: REMOTE_V4, port: sendPort, family: 'IPv4', size: bytes.length },
    ]);
    expect(bus.stats()).toMatchObject({ datagrams: 4, received: 2, dropped: { own_echo: 2 } });
    await bus.close();
  });

  it('counts the unspecified source (own echo looped over lo) as local, by port only ours', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const bytes = encodeFrame(frame);
    rx().receive(bytes, { address: '0.0.0.0', port: bus.info?.sendPort ?? -1 });
    rx().receive(bytes, { address: '0.0.0.0', port: 43113 }); // python-can over lo
    expect(bus.stats()).toMatchObject({ received: 1, dropped: { own_echo: 1 } });
    await bus.close();
  });

  it('recognises IPv6 own echoes with a %scope suffix', async () => {
    const { bus, rx } = setup({ group: DEFAULT_GROUP_IPV6 });
    await bus.start();
    rx().receive(encodeFrame(frame), { address: 'fe80::1%eth9', port: bus.info?.sendPort ?? -1 });
    expect(bus.stats().dropped).toEqual({ own_echo: 1 });
    await bus.close();
  });

  it('replaces the timestamp with the receive time and keeps the sender one', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const got: ReceivedFrame[] = [];
    bus.on('frame', (r) => got.push(r));
    rx().receive(encodeFrame(frame), { address: REMOTE_V4, port: 43113 });
    expect(got[0]?.frame).toEqual({ ...frame, timestamp: 1234.5 });
    expect(got[0]?.senderTimestamp).toBe(1700000000.25);
    await bus.close();
  });

  it("keeps the sender's timestamp with timestamps: 'sender'", async () => {
    const { bus, rx } = setup({ timestamps: 'sender' });
    await bus.start();
    const got: ReceivedFrame[] = [];
    bus.on('frame', (r) => got.push(r));
    rx().receive(encodeFrame(frame), { address: REMOTE_V4, port: 43113 });
    expect(got[0]?.frame.timestamp).toBe(1700000000.25);
    await bus.close();
  });

  it('counts malformed datagrams by reason and keeps receiving', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const got: ReceivedFrame[] = [];
    bus.on('frame', (r) => got.push(r));
    const good = encodeFrame(frame);
    const from = { address: REMOTE_V4, port: 43113 };
    rx().receive(Buffer.from('hello, world'), from);
    rx().receive(good.subarray(0, good.length - 3), from);
    rx().receive(Buffer.from([0x81, 0xa3, 0x66, 0x6f, 0x6f, 0x01]), from); // {"foo": 1}
    rx().receive(Buffer.alloc(5000, 0x80), from);
    rx().receive(good, from);
    expect(got).toHaveLength(1);
    const stats = bus.stats();
    expect(stats.datagrams).toBe(5);
    expect(stats.received).toBe(1);
    expect(Object.values(stats.dropped).reduce((a, b) => a + b, 0)).toBe(4);
    expect(stats.dropped).toMatchObject({ truncated: 1, unknown_key: 1, too_large: 1 });
    await bus.close();
  });

  it('logs drops at debug and a capped receive buffer as a warning, with fields', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const { bus, rx } = setup({}, { logger });
    await bus.start();
    rx().receive(Buffer.from('junk'), { address: REMOTE_V4, port: 43113 });
    await bus.close();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'multicast',
        requested: 8 * 1024 * 1024,
        granted: 4 * 1024 * 1024,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 20,
        msg: 'datagram dropped',
        reason: 'not_a_map',
        from: REMOTE_V4,
      }),
    );
  });

  it('never lets a throwing decoder out of the receive handler', async () => {
    const { bus, rx } = setup(
      {},
      {
        codec: {
          encodeFrameInto,
          decodeDatagram: () => {
            throw new Error('boom');
          },
        },
      },
    );
    await bus.start();
    rx().receive(Buffer.from([1]), { address: REMOTE_V4, port: 43113 });
    expect(bus.stats().dropped).toEqual({ decoder_exception: 1 });
    await bus.close();
  });

  it('delivers frames through the async iterator and ends it on close', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const it = bus.frames();
    const from = { address: REMOTE_V4, port: 43113 };
    rx().receive(encodeFrame(frame), from);
    rx().receive(encodeFrame({ ...frame, arbitrationId: 0x124 }), from);
    const ids: number[] = [];
    const closing = bus.close();
    for await (const r of it) ids.push(r.frame.arbitrationId);
    await closing;
    expect(ids).toEqual([0x123, 0x124]);
  });

  it('drops frames for an iterator that falls behind its high-water mark', async () => {
    const { bus, rx } = setup({ iteratorHighWaterMark: 2 });
    await bus.start();
    const it = bus[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) rx().receive(encodeFrame(frame), { address: REMOTE_V4, port: 1 });
    expect(bus.stats()).toMatchObject({ received: 5, dropped: { iterator_overflow: 3 } });
    await it.return?.();
    await bus.close();
  });

  it('rejects pending iterators with the destroy error and emits it to listeners', async () => {
    const { bus, rx, tx } = setup();
    await bus.start();
    const errors: Error[] = [];
    bus.on('error', (e) => errors.push(e));
    const it = bus.frames();
    const pending = it.next();
    const boom = new Error('boom');
    bus.destroy(boom);
    await expect(pending).rejects.toBe(boom);
    expect(errors).toEqual([boom]);
    expect(rx().closed && tx().closed).toBe(true);
    rx().receive(encodeFrame(frame), { address: REMOTE_V4, port: 1 });
    await bus.close();
  });

  it('close waits for sends in flight, is idempotent and emits close once', async () => {
    const { bus, rx, tx } = setup();
    await bus.start();
    let closes = 0;
    bus.on('close', () => closes++);
    tx().holdSends = true;
    bus.send(frame);
    const first = bus.close();
    expect(bus.close()).toBe(first);
    await new Promise((r) => setImmediate(r));
    expect(tx().closed).toBe(false);
    tx().completeSends();
    await first;
    expect(rx().closed && tx().closed).toBe(true);
    expect(bus.stats().sent).toBe(1);
    bus.destroy();
    expect(closes).toBe(1);
    expect(() => bus.send(frame)).toThrow(expect.objectContaining({ code: 'ERR_BUS_CLOSED' }));
    await expect(bus.start()).rejects.toMatchObject({ code: 'ERR_BUS_CLOSED' });
  });

  it('destroy during start rejects start and leaves no socket open', async () => {
    const { bus, sockets } = setup();
    const starting = bus.start();
    bus.destroy();
    await expect(starting).rejects.toMatchObject({ code: 'ERR_BUS_CLOSED' });
    await new Promise((r) => setImmediate(r));
    expect(sockets.every((s) => s.closed)).toBe(true);
  });

  it('timestamps received frames with the wall clock by default', async () => {
    const { factory, sockets } = fakeSocketFactory();
    const bus = new MulticastBus({ group: DEFAULT_GROUP_IPV4 }, { socketFactory: factory });
    await bus.start();
    const got: ReceivedFrame[] = [];
    bus.on('frame', (r) => got.push(r));
    sockets[0]?.receive(encodeFrame(frame), { address: REMOTE_V4, port: 43113 });
    expect(Math.abs((got[0]?.frame.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(0.05);
    await bus.close();
  });

  it('reports as kernel drops only what a full buffer lost, not the own echoes the kernel filter dropped', async () => {
    const { bus, rx } = setup();
    await bus.start();
    expect(rx().filters).toHaveLength(1);
    for (let i = 0; i < 5; i++) bus.send(frame);
    await new Promise((r) => setImmediate(r));
    // The socket's count: our 5 looped-back datagrams, filtered, and 2 lost to a full buffer.
    rx().drops = 5 + 2;
    expect(bus.stats()).toMatchObject({ sent: 5, kernelDrops: 2, sendBatches: 1, sendBatchMax: 5 });
    await bus.close();
  });

  it('loopback false turns multicast loop off: no echoes come back, every drop is an overflow', async () => {
    const { bus, rx, tx } = setup({ loopback: false });
    await bus.start();
    expect(tx().loopback).toBe(false);
    bus.send(frame);
    await new Promise((r) => setImmediate(r));
    rx().drops = 2;
    expect(bus.stats().kernelDrops).toBe(2);
    await bus.close();
  });

  it('counts receive batches and the largest', async () => {
    const { bus, rx } = setup();
    await bus.start();
    const from = { address: REMOTE_V4, port: 43113 };
    rx().receiveBatch([1, 2, 3].map(() => ({ msg: encodeFrame(frame), from })));
    rx().receive(encodeFrame(frame), from);
    expect(bus.stats()).toMatchObject({ received: 4, receiveBatches: 2, receiveBatchMax: 3 });
    await bus.close();
  });

  it('drops a datagram longer than python-can reads (4096 bytes) as too_large', async () => {
    const { bus, rx } = setup();
    await bus.start();
    rx().receive(new Uint8Array(5000), { address: REMOTE_V4, port: 43113 });
    expect(bus.stats()).toMatchObject({ received: 0, dropped: { too_large: 1 } });
    await bus.close();
  });

  it('start is idempotent', async () => {
    const { bus, sockets } = setup();
    const a = bus.start();
    expect(bus.start()).toBe(a);
    await a;
    expect(sockets).toHaveLength(2);
    await bus.close();
  });
});
