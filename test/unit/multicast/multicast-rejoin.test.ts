/**
 * MulticastBus re-joins when the network interface carrying the group comes back (issue 5 §1):
 * deleted and re-created (new index), down and up, address changed; and, with no interface named,
 * when an interface goes away. Fake sockets, interfaces and timers only.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../../src/multicast/defaults.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import type {
  MulticastBusOptions,
  ReceivedFrame,
} from '../../../src/multicast/multicast-bus-types.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { fakeSocketFactory, systemError } from '../../support/fake-udp-socket.js';
import type { FakeUdpSocket } from '../../support/fake-udp-socket.js';
import { ManualTimers } from '../../support/manual-timers.js';
import { fakeLink, v4, v6 } from '../../support/fake-interfaces.js';
import type { InterfaceLink } from '../../../src/net/interface-reader.js';

const ADDR = '10.9.0.1';

/** A host whose interfaces and indexes the test changes. */
class FakeHost {
  interfaces: Record<string, NetworkInterfaceInfo[]> = {
    lo: [v4('127.0.0.1')],
    eth9: [v4(ADDR)],
  };
  indexes: Record<string, number> = { lo: 1, eth9: 7 };
  looks = 0;
  readonly networkInterfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
    this.looks++;
    return structuredClone(this.interfaces);
  };
  /** sysfs: a link for every interface with an index. */
  readonly readLink = (name: string): InterfaceLink | null => {
    const index = this.indexes[name];
    return index === undefined ? null : fakeLink(index);
  };

  /** `ip link del` + `ip link add` with the same name and addresses: a new index. */
  recreate(name: string, index: number): void {
    this.indexes[name] = index;
  }
}

type Log = Record<string, unknown>;

function setup(options: MulticastBusOptions = {}) {
  const host = new FakeHost();
  const timers = new ManualTimers();
  const { factory, sockets } = fakeSocketFactory();
  /** Applied to every socket created from now on. */
  let configure: (s: FakeUdpSocket) => void = () => undefined;
  const logs: Log[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => logs.push(JSON.parse(s) as Log) },
  );
  const bus = new MulticastBus(
    { group: DEFAULT_GROUP_IPV4, interface: 'eth9', port: 43113, ...options },
    {
      socketFactory: (o) => {
        const s = factory(o);
        configure(s);
        return s;
      },
      networkInterfaces: host.networkInterfaces,
      readLink: host.readLink,
      timers,
      logger,
    },
  );
  const socket = (i: number): FakeUdpSocket => {
    const s = sockets[i];
    if (s === undefined) throw new Error(`socket ${i} not created`);
    return s;
  };
  const infoLogs = (msg: string) => logs.filter((l) => l.msg === msg && l.level === 30);
  return {
    bus,
    host,
    timers,
    sockets,
    socket,
    logs,
    infoLogs,
    setConfigure: (fn: (s: FakeUdpSocket) => void) => (configure = fn),
  };
}

/** Lets the fake sockets' binds and connects (setImmediate) complete. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const frame = makeFrame({ arbitrationId: 0x123, data: Uint8Array.of(1, 2), timestamp: 1 });

describe('MulticastBus re-join', () => {
  it('logs gone once when the interface disappears, and re-joins on fresh sockets when it is re-created', async () => {
    const t = setup();
    await t.bus.start();
    expect(t.sockets).toHaveLength(2);
    delete t.host.interfaces.eth9;
    t.timers.advance(1000);
    t.timers.advance(3000);
    expect(t.infoLogs('multicast interface gone')).toEqual([
      expect.objectContaining({ component: 'multicast', iface: 'eth9' }),
    ]);
    expect(t.sockets).toHaveLength(2);

    t.host.interfaces.eth9 = [v4(ADDR)];
    t.host.recreate('eth9', 12);
    t.timers.advance(1000);
    await settle();
    expect(t.sockets).toHaveLength(4);
    const [oldRx, oldTx, rx, tx] = [t.socket(0), t.socket(1), t.socket(2), t.socket(3)];
    expect(rx.options).toMatchObject({ type: 'udp4', reuseAddr: true });
    expect(rx.bound).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(rx.memberships).toEqual([[DEFAULT_GROUP_IPV4, ADDR]]);
    expect(tx.multicastInterface).toBe(ADDR);
    expect(tx.ttl).toBe(1);
    expect(tx.loopback).toBe(true);
    expect(tx.connectedTo).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(oldRx.closed).toBe(true);
    expect(oldTx.closed).toBe(false); // its last echoes may still arrive
    expect(t.bus.stats().rejoins).toBe(1);
    expect(t.bus.info?.sendPort).toBe(tx.localAddress().port);
    expect(t.infoLogs('multicast interface back')).toEqual([
      expect.objectContaining({
        iface: 'eth9',
        ifindex: 12,
        reason: 'reappeared',
        connected: true,
      }),
    ]);

    await t.bus.sendAsync(frame);
    expect(tx.sent).toHaveLength(1);
    expect(oldTx.sent).toHaveLength(0);
    t.timers.advance(2000);
    expect(oldTx.closed).toBe(true);
    // Nothing more to do: no more sockets, logs or re-joins.
    t.timers.advance(5000);
    await settle();
    expect(t.sockets).toHaveLength(4);
    expect(t.bus.stats().rejoins).toBe(1);
    await t.bus.close();
    expect(t.sockets.every((s) => s.closed)).toBe(true);
    expect(t.timers.active).toBe(0);
  });

  it('re-joins when the index changed between two looks (deleted and re-created in between)', async () => {
    const t = setup();
    await t.bus.start();
    t.host.recreate('eth9', 99);
    t.timers.advance(1000);
    await settle();
    expect(t.sockets).toHaveLength(4);
    expect(t.infoLogs('multicast interface gone')).toEqual([]);
    expect(t.infoLogs('multicast interface back')).toEqual([
      expect.objectContaining({ reason: 'index_changed', ifindex: 99 }),
    ]);
    await t.bus.close();
  });

  it('re-joins with the new address when the interface lost its address for another one', async () => {
    const t = setup();
    await t.bus.start();
    t.host.interfaces.eth9 = [v4('10.9.0.77')];
    t.timers.advance(1000);
    await settle();
    // Same index: the receive socket stays (joined again in place), the send socket is new (its
    // connected source address was the old one).
    expect(t.sockets).toHaveLength(3);
    expect(t.socket(0).closed).toBe(false);
    expect(t.socket(0).memberships).toEqual([
      [DEFAULT_GROUP_IPV4, ADDR],
      [DEFAULT_GROUP_IPV4, '10.9.0.77'],
    ]);
    expect(t.socket(2).multicastInterface).toBe('10.9.0.77');
    expect(t.socket(2).connectedTo).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(t.infoLogs('multicast interface back')[0]).toMatchObject({
      reason: 'address_lost',
      addresses: ['10.9.0.77'],
      reopened: { receive: false, send: true },
    });
    await t.bus.close();
  });

  it('needs nothing when the interface only gains addresses (IPv6 link-local coming after a re-creation)', async () => {
    const t = setup({ group: DEFAULT_GROUP_IPV6 });
    t.host.interfaces.eth9 = [v4(ADDR)];
    await t.bus.start();
    t.host.interfaces.eth9 = [v4(ADDR), v6('fd00::1'), v6('fe80::1', 7)];
    t.timers.advance(5000);
    await settle();
    expect(t.sockets).toHaveLength(2);
    expect(t.bus.stats().rejoins).toBe(0);
    // And losing one of them later does re-join (the connected source address may be stale).
    t.host.interfaces.eth9 = [v4(ADDR), v6('fe80::1', 7)];
    t.timers.advance(1000);
    await settle();
    expect(t.infoLogs('multicast interface back')).toEqual([
      expect.objectContaining({ reason: 'address_lost' }),
    ]);
    await t.bus.close();
  });

  it('an index it could not read before is not a change', async () => {
    const t = setup();
    delete t.host.indexes.eth9; // no sysfs
    await t.bus.start();
    t.host.indexes.eth9 = 7;
    t.timers.advance(3000);
    await settle();
    expect(t.bus.stats().rejoins).toBe(0);
    await t.bus.close();
  });

  it('link down and up (same index and address): gone, then back on the same sockets, nothing lost', async () => {
    const t = setup();
    await t.bus.start();
    const saved = t.host.interfaces.eth9!;
    delete t.host.interfaces.eth9; // os.networkInterfaces() lists only interfaces up and running
    t.timers.advance(1000);
    t.host.interfaces.eth9 = saved;
    t.timers.advance(1000);
    await settle();
    expect(t.sockets).toHaveLength(2);
    expect(t.socket(0).memberships).toEqual([[DEFAULT_GROUP_IPV4, ADDR]]); // kept: EADDRINUSE
    expect(t.socket(1).multicastInterface).toBe(ADDR);
    expect(t.bus.stats().rejoins).toBe(1);
    expect(t.infoLogs('multicast interface gone')).toHaveLength(1);
    expect(t.infoLogs('multicast interface back')).toEqual([
      expect.objectContaining({
        reason: 'reappeared',
        ifindex: 7,
        reopened: { receive: false, send: false },
      }),
    ]);
    const got: ReceivedFrame[] = [];
    t.bus.on('frame', (r) => got.push(r));
    t.socket(0).receive(encodeFrame(frame), { address: '10.9.0.2', port: 43113 });
    expect(got).toHaveLength(1);
    await t.bus.sendAsync(frame);
    expect(t.socket(1).sent).toHaveLength(1);
    await t.bus.close();
  });

  it('the same interface back whose membership the kernel dropped: joined again in place', async () => {
    const t = setup();
    await t.bus.start();
    t.socket(0).memberships = []; // as if the kernel had dropped it
    const saved = t.host.interfaces.eth9!;
    delete t.host.interfaces.eth9;
    t.timers.advance(1000);
    t.host.interfaces.eth9 = saved;
    t.timers.advance(1000);
    await settle();
    expect(t.socket(0).memberships).toEqual([[DEFAULT_GROUP_IPV4, ADDR]]);
    expect(t.bus.stats().rejoins).toBe(1);
    await t.bus.close();
  });

  it('looks at once when a send fails with ENODEV, at most every 200 ms', async () => {
    const t = setup();
    await t.bus.start();
    t.timers.advance(500); // half-way to the next periodic look
    const looks = t.host.looks;
    t.socket(1).sendError = systemError('ENODEV', -19, 'send');
    await expect(t.bus.sendAsync(frame)).rejects.toMatchObject({ sysCode: 'ENODEV' });
    await expect(t.bus.sendAsync(frame)).rejects.toMatchObject({ sysCode: 'ENODEV' });
    // One look for both failures (nothing changed yet, and the second came within 200 ms).
    expect(t.host.looks - looks).toBe(1);
    t.host.recreate('eth9', 30);
    t.timers.advance(200);
    await expect(t.bus.sendAsync(frame)).rejects.toMatchObject({ sysCode: 'ENODEV' });
    await settle();
    // A look for the third failure, then the re-join's: the group resolved, local addresses re-read.
    expect(t.host.looks - looks).toBe(1 + 1 + 2);
    expect(t.bus.stats()).toMatchObject({ rejoins: 1, sendErrors: 3 });
    await t.bus.sendAsync(frame);
    expect(t.socket(3).sent).toHaveLength(1);
    await t.bus.close();
  });

  it('ignores send errors that say nothing about the interface', async () => {
    const t = setup();
    await t.bus.start();
    t.timers.advance(500);
    const looks = t.host.looks;
    t.socket(1).sendError = systemError('EMSGSIZE', -90, 'send');
    await expect(t.bus.sendAsync(frame)).rejects.toMatchObject({ sysCode: 'EMSGSIZE' });
    expect(t.host.looks).toBe(looks);
    await t.bus.close();
  });

  it("still drops echoes from the replaced send socket's port, then forgets the port once it is closed", async () => {
    const t = setup();
    await t.bus.start();
    const oldPort = t.bus.info!.sendPort;
    t.host.recreate('eth9', 8);
    t.timers.advance(1000);
    await settle();
    const got: ReceivedFrame[] = [];
    t.bus.on('frame', (r) => got.push(r));
    const rx = t.socket(2);
    rx.receive(encodeFrame(frame), { address: ADDR, port: oldPort });
    rx.receive(encodeFrame(frame), { address: ADDR, port: t.bus.info!.sendPort });
    expect(got).toHaveLength(0);
    t.timers.advance(2000);
    rx.receive(encodeFrame(frame), { address: ADDR, port: oldPort });
    expect(got).toHaveLength(1);
    expect(t.bus.stats().dropped).toEqual({ own_echo: 2 });
    await t.bus.close();
  });

  it('delivers nothing from the replaced receive socket (no datagram twice)', async () => {
    const t = setup();
    await t.bus.start();
    t.host.recreate('eth9', 8);
    t.timers.advance(1000);
    await settle();
    const got: ReceivedFrame[] = [];
    t.bus.on('frame', (r) => got.push(r));
    t.socket(0).receive(encodeFrame(frame), { address: '10.9.0.2', port: 43113 });
    t.socket(2).receive(encodeFrame(frame), { address: '10.9.0.2', port: 43113 });
    expect(got).toHaveLength(1);
    await t.bus.close();
  });

  it('a failed re-join is logged as gone once and retried at every look until it works', async () => {
    const t = setup();
    await t.bus.start();
    t.setConfigure((s) => (s.membershipError = systemError('ENODEV', -19, 'addMembership')));
    t.host.recreate('eth9', 40);
    t.timers.advance(1000);
    await settle();
    t.timers.advance(1000);
    await settle();
    expect(t.infoLogs('multicast interface gone')).toHaveLength(1);
    expect(t.sockets.filter((s) => !s.closed)).toHaveLength(2); // the old pair; failed ones closed
    expect(t.bus.stats().rejoins).toBe(0);
    t.setConfigure(() => undefined);
    t.timers.advance(1000);
    await settle();
    expect(t.bus.stats().rejoins).toBe(1);
    expect(t.infoLogs('multicast interface back')).toEqual([
      expect.objectContaining({ reason: 'reappeared', ifindex: 40 }),
    ]);
    expect(t.sockets.filter((s) => !s.closed)).toHaveLength(3); // new pair + retired send socket
    await t.bus.close();
  });

  it('uses the interface index of IPv6 and re-binds a link-local group to the new index', async () => {
    const t = setup({ group: 'ff12::1234' });
    t.host.interfaces.eth9 = [v6('fe80::1', 7)];
    t.host.indexes.eth9 = 1000; // sysfs of another namespace: the link-local scope id wins
    await t.bus.start();
    t.host.interfaces.eth9 = [v6('fe80::2', 13)];
    t.timers.advance(1000);
    await settle();
    const [rx, tx] = [t.socket(2), t.socket(3)];
    expect(rx.bound).toEqual({ port: 43113, address: 'ff12::1234%eth9' });
    expect(rx.memberships).toEqual([['ff12::1234', '::%eth9']]);
    expect(tx.multicastInterface).toBe('::%eth9');
    expect(tx.connectedTo).toEqual({ port: 43113, address: 'ff12::1234%eth9' });
    expect(t.infoLogs('multicast interface back')[0]).toMatchObject({
      reason: 'index_changed',
      ifindex: 13,
    });
    await t.bus.close();
  });

  it('IPv6 site-local group: an interface without its IPv4 address is still usable', async () => {
    const t = setup({ group: DEFAULT_GROUP_IPV6 });
    t.host.interfaces.eth9 = [v6('fd00::1')];
    await t.bus.start();
    t.timers.advance(3000);
    await settle();
    expect(t.sockets).toHaveLength(2);
    t.host.recreate('eth9', 21);
    t.timers.advance(1000);
    await settle();
    expect(t.socket(2).memberships).toEqual([[DEFAULT_GROUP_IPV6, '::%eth9']]);
    await t.bus.close();
  });

  describe("no interface named (the kernel's choice)", () => {
    it('ignores new interfaces and re-joins when one goes away or changes', async () => {
      const t = setup({ interface: null });
      await t.bus.start();
      t.host.interfaces.veth5 = [v4('172.17.0.1')];
      t.host.indexes.veth5 = 50;
      t.timers.advance(3000);
      await settle();
      expect(t.sockets).toHaveLength(2);
      t.host.recreate('eth9', 8);
      t.timers.advance(1000);
      await settle();
      expect(t.sockets).toHaveLength(4);
      expect(t.socket(2).memberships).toEqual([[DEFAULT_GROUP_IPV4, undefined]]);
      expect(t.socket(3).multicastInterface).toBeNull();
      delete t.host.interfaces.veth5;
      t.timers.advance(1000);
      await settle();
      expect(t.sockets).toHaveLength(6);
      expect(t.infoLogs('multicast interface back')).toEqual([
        expect.objectContaining({ iface: null, reason: 'interfaces_changed' }),
        expect.objectContaining({ iface: null, reason: 'interfaces_changed' }),
      ]);
      expect(t.bus.stats().rejoins).toBe(2);
      await t.bus.close();
    });

    it('when the join fails (no route for the group) it is gone until the interfaces change', async () => {
      const t = setup({ interface: null });
      await t.bus.start();
      t.setConfigure((s) => (s.membershipError = systemError('ENODEV', -19, 'addMembership')));
      delete t.host.interfaces.eth9;
      t.timers.advance(1000);
      await settle();
      t.timers.advance(5000);
      await settle();
      expect(t.infoLogs('multicast interface gone')).toHaveLength(1);
      expect(t.sockets).toHaveLength(3); // one failed attempt, no retry while nothing changes
      t.setConfigure(() => undefined);
      t.host.interfaces.eth9 = [v4(ADDR)];
      t.host.recreate('eth9', 9);
      t.timers.advance(1000);
      await settle();
      expect(t.bus.stats().rejoins).toBe(1);
      expect(t.infoLogs('multicast interface back')).toHaveLength(1);
      await t.bus.close();
    });
  });

  it('a send socket that could not connect (no route yet) is tried again on a fresh socket every 10 s', async () => {
    const t = setup({ interface: null });
    const noRoute = (s: FakeUdpSocket) =>
      (s.connectError = systemError('ENETUNREACH', -101, 'connect'));
    t.setConfigure(noRoute);
    await t.bus.start();
    t.timers.advance(9000);
    await settle();
    expect(t.sockets).toHaveLength(2);
    t.timers.advance(1000);
    await settle();
    expect(t.sockets).toHaveLength(3); // tried, still no route: closed again
    expect(t.socket(2).closed).toBe(true);
    t.setConfigure(() => undefined);
    t.timers.advance(10_000);
    await settle();
    const tx = t.socket(3);
    expect(tx.connectedTo).toEqual({ port: 43113, address: DEFAULT_GROUP_IPV4 });
    expect(t.bus.info?.sendPort).toBe(tx.localAddress().port);
    await t.bus.sendAsync(frame);
    expect(tx.sent).toMatchObject([{ connected: true }]);
    expect(t.infoLogs('send socket connected')).toHaveLength(1);
    expect(t.bus.stats().rejoins).toBe(0);
    t.timers.advance(60_000);
    await settle();
    expect(t.sockets).toHaveLength(4);
    await t.bus.close();
  });

  it('interfaceCheckIntervalMs 0 turns the watch off', async () => {
    const t = setup({ interfaceCheckIntervalMs: 0 });
    await t.bus.start();
    expect(t.timers.active).toBe(0);
    t.host.recreate('eth9', 8);
    t.socket(1).sendError = systemError('ENODEV', -19, 'send');
    await expect(t.bus.sendAsync(frame)).rejects.toMatchObject({ sysCode: 'ENODEV' });
    await settle();
    expect(t.sockets).toHaveLength(2);
    await t.bus.close();
  });

  it('rejects a negative check interval', async () => {
    const t = setup({ interfaceCheckIntervalMs: -1 });
    await expect(t.bus.start()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('close right after a re-join leaves no socket open and no timer (the retired send socket too)', async () => {
    const t = setup();
    await t.bus.start();
    t.host.recreate('eth9', 8);
    // The re-join runs within this look (the addon's binds and joins are synchronous).
    t.timers.advance(1000);
    expect(t.bus.stats().rejoins).toBe(1);
    await t.bus.close();
    await settle();
    expect(t.sockets.length).toBeGreaterThan(2);
    expect(t.sockets.every((s) => s.closed)).toBe(true);
    expect(t.timers.active).toBe(0);
  });

  it('close closes a replaced send socket still waiting for its echoes', async () => {
    const t = setup();
    await t.bus.start();
    t.host.recreate('eth9', 8);
    t.timers.advance(1000);
    await settle();
    expect(t.socket(1).closed).toBe(false);
    await t.bus.close();
    expect(t.socket(1).closed).toBe(true);
    expect(t.timers.active).toBe(0);
  });
});
