// Fuzzing the relay (issue 5 section 2: "no invalid frame is ever written to CAN or sent to the
// group"): random valid and broken kernel records from CAN, and random, mutated and valid datagrams
// from the group, through Bridge on the real CanSocket (over FakeKernel) and the real MulticastBus
// (over fake UDP sockets), under random relay options. Every datagram sent decodes to a valid
// frame, every frame handed to the CAN socket is valid with a length SocketCAN takes, and every
// input is either passed on or counted as dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import type { DirectionStats } from '../../../src/bridge/bridge.js';
import { parseCanFilters } from '../../../src/can/can-filter.js';
import { CAN_ERR_FLAG, CAN_MTU, CAN_RTR_FLAG, CANFD_MTU } from '../../../src/can/linux-can.js';
import type { CanFrame } from '../../../src/frame.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel, kernelBytes } from '../../support/fake-kernel.js';
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

/** One kernel record as the CAN socket reads it: the frame's bytes and the receive time (s). */
interface KernelRecord {
  bytes: Uint8Array;
  timestamp: number;
}

const recordOf = (f: CanFrame): KernelRecord => ({ bytes: kernelBytes(f), timestamp: f.timestamp });

/** `can_id` (linux/can.h, host order: little-endian here) with `flags` set. */
function withIdFlags(r: KernelRecord, flags: number): KernelRecord {
  const bytes = r.bytes.slice();
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (view.getUint32(0, true) | flags) >>> 0, true);
  return { ...r, bytes };
}

/** `len` (byte 4 of struct can_frame / canfd_frame) set to `len`. */
function withLen(r: KernelRecord, len: number): KernelRecord {
  const bytes = r.bytes.slice();
  bytes[4] = len;
  return { ...r, bytes };
}

/**
 * A valid frame's kernel record broken the way a bad kernel read might break it: every field the
 * decoder takes from the record (src/socketcan/kernel-frame.ts). An id out of range, a fractional
 * or negative dlc, BRS/ESI on a classic frame, data on a remote frame or a bad channel cannot come
 * from a record (the decoder masks the id as python-can does, and sets the rest itself).
 */
const corruption = fc.constantFrom<(r: KernelRecord) => KernelRecord>(
  (r) => withLen(r, r.bytes.length === CAN_MTU ? 9 : 65),
  (r) => withLen(r, 255),
  (r) => withIdFlags(r, CAN_RTR_FLAG | CAN_ERR_FLAG),
  (r) => {
    // A remote frame in a CAN FD record (msg_len CANFD_MTU).
    const bytes = new Uint8Array(CANFD_MTU);
    bytes.set(r.bytes.subarray(0, CAN_MTU));
    return withIdFlags({ ...r, bytes }, CAN_RTR_FLAG);
  },
  (r) => ({ ...r, timestamp: Number.NaN }),
  (r) => ({ ...r, timestamp: -1 }),
  (r) => ({ ...r, timestamp: Number.POSITIVE_INFINITY }),
);

const canInput = fc.oneof(
  { weight: 3, arbitrary: validFrame.map(recordOf) },
  { weight: 2, arbitrary: fc.tuple(validFrame, corruption).map(([f, c]) => c(recordOf(f))) },
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
        const kernel = new FakeKernel();
        kernel.addInterface('vcan0');
        const can = new CanSocket(
          { interface: 'vcan0', fd: s.canFd, txQueueLimit: 10_000 },
          { binding: kernel.binding(), probe: kernel.probe },
        );
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

        for (const batch of s.fromCan) {
          kernel.last.deliver(
            batch.map((r) => r.bytes),
            0,
            batch.map((r) => r.timestamp),
          );
        }
        for (const [datagram, address] of s.fromGroup)
          rx.receive(datagram, { address, port: 43113 });
        // Both sides send once per event-loop turn.
        await new Promise((resolve) => setImmediate(resolve));
        const written = kernel.writtenFrames();

        for (const { msg } of tx.sent) {
          const decoded = decodeDatagram(msg);
          if (!decoded.ok) throw new Error(`sent an undecodable datagram: ${decoded.reason}`);
          expectAcceptableFrame(decoded.frame);
          expect(decoded.frame.channel).toBe(SENDER_ID);
        }
        for (const frame of handed) expectWritableCanFrame(frame);
        for (const frame of written) expectWritableCanFrame(frame);
        if (!s.canFd) expect(written.every((f) => !f.isFd)).toBe(true);

        const stats = bridge.stats();
        const fromCanCount = s.fromCan.reduce((n, b) => n + b.length, 0);
        expect(sum(stats.toMulticast)).toBe(fromCanCount);
        expect(stats.toMulticast.frames).toBe(tx.sent.length);
        const busDropped = Object.values(stats.multicast.dropped).reduce((a, b) => a + b, 0);
        expect(stats.multicast.datagrams).toBe(s.fromGroup.length);
        expect(stats.multicast.received + busDropped).toBe(s.fromGroup.length);
        expect(sum(stats.toCan)).toBe(stats.multicast.received);
        expect(stats.toCan.frames).toBe(written.length);
        for (const d of [stats.toCan.dropped, stats.toMulticast.dropped, stats.multicast.dropped]) {
          for (const [k, v] of Object.entries(d)) drops[k] = (drops[k] ?? 0) + v;
        }
        toCanFrames += written.length;
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
