/**
 * The daemon end to end on a real kernel: two "hosts" (network namespaces joined by a veth pair),
 * each with its own vcan, a daemon (`bin/can-multicast-bridge run`) and can-utils, plus python-can
 * 4.1's `UdpMulticastBus` as listener and sender. Every kind of frame crosses both ways exactly
 * once, on IPv4 and IPv6; nothing comes back onto its origin bus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyFrameKind } from '../support/frame-kinds.js';
import { formatFrameString } from '../../src/frame-string.js';
import { canFdPaddedLength } from '../../src/frame.js';
import type { CanFrame } from '../../src/frame.js';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import { NetnsLab } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { fixturePath, PYTHON } from '../support/python-can.js';
import { frameFromJson, frameToJson } from '../support/frame-json.js';
import type { FrameJson } from '../support/frame-json.js';
import { skipReason } from './can-helpers.js';
import { cansendIn, addVcanIn, NsCandump, sorted, startDaemon } from './daemon-helpers.js';
import type { DaemonProcess } from './daemon-helpers.js';

const skip = skipReason() !== null;

/** Error frames are off by default (config/example.json); these tests carry every kind. */
const ERROR_FRAMES_BOTH_WAYS = [
  '--set',
  'toMulticast.errorFrames=true',
  '--set',
  'toCan.errorFrames=true',
];

/** What a vcan shows for a frame written to it: FD payloads padded to a valid length. */
function onCan(frame: CanFrame): string {
  if (!frame.isFd || canFdPaddedLength(frame.data.length) === frame.data.length)
    return formatFrameString(frame);
  const data = new Uint8Array(canFdPaddedLength(frame.data.length));
  data.set(frame.data);
  return formatFrameString({ ...frame, data, dlc: data.length });
}

/** Frames cansend can write: every kind, with an error frame's id 11-bit as SocketCAN reports it. */
const FROM_CAN = everyFrameKind()
  .filter((f) => !(f.isErrorFrame && f.isExtendedId))
  .filter((f) => !f.isFd || canFdPaddedLength(f.data.length) === f.data.length)
  .map(formatFrameString);
/** Frames python-can sends: every kind, including a 13-byte FD frame. */
const FROM_PYTHON = everyFrameKind().filter((f) => !(f.isErrorFrame && f.isExtendedId));

// Generous: the VM runs everything 10-50x slower than a host, more when it shares the CPUs.
describe.skipIf(skip)(
  'daemon end to end: two hosts, python-can and can-utils',
  { timeout: 300_000 },
  () => {
    const lab = skip ? null : new NetnsLab('dae');
    let nsA: Netns;
    let nsB: Netns;
    let ifA: string;
    let ifB: string;

    beforeAll(async () => {
      nsA = await lab!.createNamespace();
      nsB = await lab!.createNamespace();
      [ifA, ifB] = await lab!.addVethPair(nsA, { ipv4: '10.91.0.1/24', ipv6: 'fd91::1/64' }, nsB, {
        ipv4: '10.91.0.2/24',
        ipv6: 'fd91::2/64',
      });
      await Promise.all([addVcanIn(nsA, 'vcan0'), addVcanIn(nsB, 'vcan0')]);
    });

    afterAll(async () => {
      await lab?.destroy();
    });

    describe.each([
      { family: 'IPv4', group: DEFAULT_GROUP_IPV4 },
      { family: 'IPv6', group: DEFAULT_GROUP_IPV6 },
    ])('$family', ({ group }) => {
      let daemonA: DaemonProcess;
      let daemonB: DaemonProcess;
      let python: JsonLinesPeer;
      let dumpA: NsCandump;
      let dumpB: NsCandump;

      beforeAll(async () => {
        daemonA = startDaemon(lab!, nsA, 'daemon A', [
          '--can',
          'vcan0',
          '--group',
          group,
          '--interface',
          ifA,
          '--sender-id',
          'hostA',
          ...ERROR_FRAMES_BOTH_WAYS,
        ]);
        daemonB = startDaemon(lab!, nsB, 'daemon B', [
          '--can',
          'vcan0',
          '--group',
          group,
          '--interface',
          ifB,
          '--sender-id',
          'hostB',
          ...ERROR_FRAMES_BOTH_WAYS,
        ]);
        python = new JsonLinesPeer(
          'python-can',
          lab!.spawn(nsB, PYTHON, [fixturePath('python-can-peer.py'), '--group', group]),
        );
        dumpA = new NsCandump(lab!, nsA, 'vcan0');
        dumpB = new NsCandump(lab!, nsB, 'vcan0');
        await Promise.all([
          daemonA.ready(),
          daemonB.ready(),
          python.waitFor('ready', { timeoutMs: 180_000 }),
        ]);
      });

      afterAll(async () => {
        dumpA?.stop();
        dumpB?.stop();
        await python?.quit().catch(() => undefined);
        await Promise.all([daemonA?.stop(), daemonB?.stop()]);
      });

      it(`carries every kind of frame from CAN A to CAN B and to python-can exactly once (${FROM_CAN.length} frames)`, async () => {
        python.command({ cmd: 'recv', count: FROM_CAN.length, timeout: 60 });
        await python.waitFor('receiving');
        await cansendIn(lab!, nsA, 'vcan0', FROM_CAN);
        const received = await python.waitFor('received', { timeoutMs: 120_000 });
        expect(received).toMatchObject({ count: FROM_CAN.length, errors: 0 });
        const atPython = python.all('frame').map((e) => e.frame as FrameJson);
        // The bridge's sender id travels in python-can's channel field.
        expect(new Set(atPython.map((f) => f.channel))).toEqual(new Set(['hostA']));
        expect(sorted(atPython.map((f) => formatFrameString(frameFromJson(f))))).toEqual(
          sorted(FROM_CAN),
        );
        await dumpB.waitFor(FROM_CAN.length);
        // Settle, then: exactly once on B, and on A only cansend's own copy (never written back).
        await new Promise((r) => setTimeout(r, 2000));
        expect(sorted(dumpB.frames)).toEqual(sorted(FROM_CAN));
        expect(sorted(dumpA.frames)).toEqual(sorted(FROM_CAN));
      });

      it(`writes every kind of python-can frame to both CAN buses exactly once (${FROM_PYTHON.length} frames)`, async () => {
        const beforeA = dumpA.frames.length;
        const beforeB = dumpB.frames.length;
        python.command({ cmd: 'send', frames: FROM_PYTHON.map(frameToJson), rate: 2000 });
        await python.waitFor('sent', {
          pred: (e) => e.count === FROM_PYTHON.length,
          timeoutMs: 120_000,
        });
        const expected = sorted(FROM_PYTHON.map(onCan));
        // On a timeout, fall through: the comparisons below name what is missing.
        await dumpA.waitFor(beforeA + expected.length, 60_000).catch(() => undefined);
        await dumpB.waitFor(beforeB + expected.length, 60_000).catch(() => undefined);
        // Settle: the traffic stays flat once the sender stops (no frame circulates).
        await new Promise((r) => setTimeout(r, 2000));
        expect(sorted(dumpA.frames.slice(beforeA))).toEqual(expected);
        expect(sorted(dumpB.frames.slice(beforeB))).toEqual(expected);
      });

      it('stops on SIGTERM with exit 0 and a final stats line that counts both directions', async () => {
        const [a, b] = await Promise.all([daemonA.stop(), daemonB.stop()]);
        expect(a.code, daemonA.detail()).toBe(0);
        expect(b.code, daemonB.detail()).toBe(0);
        expect(a.stats).toMatchObject({
          toMulticast: { frames: FROM_CAN.length },
          toCan: { frames: FROM_PYTHON.length },
        });
        expect(b.stats).toMatchObject({
          toMulticast: { frames: 0 },
          toCan: { frames: FROM_CAN.length + FROM_PYTHON.length },
        });
      });
    });
  },
);
