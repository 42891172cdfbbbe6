// Fuzzing the relay (issue 5 section 2: "no invalid frame is ever written to CAN or sent to the
// group"): random valid and invalid frames from CAN, and random, mutated and valid datagrams from
// the group, through Bridge with a FakeCanSocket and a real MulticastBus on fake UDP sockets, under
// random relay options. Every datagram sent decodes to a valid frame, every frame handed to the
// CAN socket is valid with a length SocketCAN takes, and every input is either passed on or
// counted as dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import type { DirectionStats } from '../../../src/bridge/bridge.js';
import { parseCanFilters } from '../../../src/can/can-filter.js';
import type { CanFrame } from '../../../src/frame.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { FakeCanSocket } from '../../../src/socketcan/fake-can-socket.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import { fakeSocketFactory, loopbackOnly } from '../../support/fake-udp-socket.js';
import {
  applyMutations,
  expectAcceptableFrame,
  expectWritableCanFrame,
  fuzzParams,
  mutation,
  structuredDatagram,
} from './fuzz-support.js';

const SENDER_ID = 'bridge-a';
const OTHER_BRIDGE = 'bridge-b';

/** One field of a valid frame broken the way a buggy peer or a bad kernel read might break it. */
const corruption = fc.constantFrom<(f: CanFrame) => CanFrame>(
  (f) => ({ ...f, arbitrationId: -1 }),
  (f) => ({ ...f, arbitrationId: f.isExtendedId ? 0x20000000 : 0x800 }),
  (f) => ({ ...f, arbitrationId: 1.5 }),
  (f) => ({ ...f, arbitrationId: Number.NaN }),
  (f) => ({ ...f, dlc: f.dlc + 1 }),
  (f) => ({ ...f, dlc: -1 }),
  (f) => ({ ...f, data: new Uint8Array(f.isFd ? 65 : 9), dlc: f.isFd ? 65 : 9 }),
  (f) => ({ ...f, isRemoteFrame: true, data: Uint8Array.of(1), dlc: 1 }),
  (f) => ({ ...f, isRemoteFrame: true, isErrorFrame: true, data: new Uint8Array(0), dlc: 0 }),
  (f) => ({ ...f, isRemoteFrame: true, isFd: true, data: new Uint8Array(0), dlc: 0 }),
  (f) => ({ ...f, isFd: false, bitrateSwitch: true }),
  (f) => ({ ...f, isFd: false, errorStateIndicator: true }),
  (f) => ({ ...f, timestamp: Number.NaN }),
  (f) => ({ ...f, timestamp: -1 }),
  (f) => ({ ...f, channel: Number.POSITIVE_INFINITY }),
);

const canInput = fc.oneof(
  { weight: 3, arbitrary: validFrame },
  { weight: 2, arbitrary: fc.tuple(validFrame, corruption).map(([f, c]) => c(f)) },
);

/** A datagram from the group: valid (with one of several channels), mutated, or made up. */
const datagramInput = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(
        validFrame,
        fc.constantFrom<string | null>(null, 'python', 'python-2', SENDER_ID, OTHER_BRIDGE),
      )
      .map(([f, channel]) => encodeFrame({ ...f, channel })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validFrame, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([f, m]) => applyMutations(encodeFrame(f), m)),
  },
  { weight: 2, arbitrary: structuredDatagram },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }) },
);

const filterText = fc.constantFrom(
  '100:700',
  '123:7ff',
  '1abcdef:1fffffff',
  '0:0',
  '7ff~7ff',
  '80000000:80000000',
);
/** Mostly open directions, so that plenty passes; sometimes off or filtered. */
const direction = fc.record({
  enabled: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
  errorFrames: fc.boolean(),
  filters: fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    fc.array(filterText, { minLength: 1, maxLength: 2 }).map((t) => parseCanFilters(t)),
  ),
});
const scenario = fc.record({
  canFd: fc.boolean(),
  toMulticast: direction,
  toCan: direction,
  allowList: fc.boolean(),
  fromCan: fc.array(fc.array(canInput, { minLength: 1, maxLength: 6 }), { maxLength: 5 }),
  fromGroup: fc.array(
    fc.tuple(datagramInput, fc.constantFrom('10.0.0.2', '192.168.7.9', '127.0.0.1')),
    { maxLength: 25 },
  ),
});

const sum = (d: DirectionStats): number =>
  d.frames + Object.values(d.dropped).reduce((a, b) => a + b, 0);

describe('fuzzing the relay', () => {
  it('never writes an invalid frame to CAN nor sends one to the group, and accounts for every input', async () => {
    let toCanFrames = 0;
    let toGroupFrames = 0;
    const drops: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const can = new FakeCanSocket({ fd: s.canFd, txQueueLimit: 10_000 });
        const handed: CanFrame[] = [];
        const send = can.send.bind(can);
        can.send = (frame) => {
          handed.push(frame);
          return send(frame);
        };
        const { factory, sockets } = fakeSocketFactory();
        const bus = new MulticastBus(
          { group: '239.74.163.2', port: 43113 },
          { socketFactory: factory, networkInterfaces: loopbackOnly },
        );
        await bus.start();
        const bridge = new Bridge({
          can,
          multicast: bus,
          senderId: SENDER_ID,
          ignoreSenders: [OTHER_BRIDGE],
          toMulticast: s.toMulticast,
          toCan: s.toCan,
          allowSource: s.allowList ? (address) => address.startsWith('10.') : undefined,
        });
        await can.start();
        bridge.start();
        const [rx, tx] = sockets;
        if (rx === undefined || tx === undefined) throw new Error('no sockets');

        for (const batch of s.fromCan) can.receive(batch);
        for (const [datagram, address] of s.fromGroup)
          rx.receive(datagram, { address, port: 43113 });
        // The multicast side sends once per event-loop turn.
        await new Promise((resolve) => setImmediate(resolve));

        for (const { msg } of tx.sent) {
          const decoded = decodeDatagram(msg);
          if (!decoded.ok) throw new Error(`sent an undecodable datagram: ${decoded.reason}`);
          expectAcceptableFrame(decoded.frame);
          expect(decoded.frame.channel).toBe(SENDER_ID);
        }
        for (const frame of handed) expectWritableCanFrame(frame);
        for (const frame of can.sent) expectWritableCanFrame(frame);
        if (!s.canFd) expect(can.sent.every((f) => !f.isFd)).toBe(true);

        const stats = bridge.stats();
        const fromCanCount = s.fromCan.reduce((n, b) => n + b.length, 0);
        expect(sum(stats.toMulticast)).toBe(fromCanCount);
        expect(stats.toMulticast.frames).toBe(tx.sent.length);
        const busDropped = Object.values(stats.multicast.dropped).reduce((a, b) => a + b, 0);
        expect(stats.multicast.datagrams).toBe(s.fromGroup.length);
        expect(stats.multicast.received + busDropped).toBe(s.fromGroup.length);
        expect(sum(stats.toCan)).toBe(stats.multicast.received);
        expect(stats.toCan.frames).toBe(can.sent.length);
        for (const d of [stats.toCan.dropped, stats.toMulticast.dropped, stats.multicast.dropped]) {
          for (const [k, v] of Object.entries(d)) drops[k] = (drops[k] ?? 0) + v;
        }
        toCanFrames += can.sent.length;
        toGroupFrames += tx.sent.length;

        bridge.close();
        await Promise.all([can.close(), bus.close()]);
      }),
      fuzzParams(150),
    );
    // The scenarios must let plenty through both ways, or the property proves little.
    // Every kind of drop must have happened somewhere, or the scenarios miss a path.
    for (const reason of ['own_sender_id', 'ignored_sender', 'source_not_allowed', 'filtered']) {
      expect(drops[reason] ?? 0, reason).toBeGreaterThan(0);
    }
    for (const reason of ['disabled', 'error_frame', 'fd_unsupported', 'invalid', 'truncated']) {
      expect(drops[reason] ?? 0, reason).toBeGreaterThan(0);
    }
    expect(toCanFrames).toBeGreaterThan(60);
    expect(toGroupFrames).toBeGreaterThan(300);
  });
});
