/**
 * Every frame kind round-trips between our CanSocket and can-utils (cansend/candump), both ways,
 * bytes and flags exact, on a real kernel's vcan (linux/can.h layout, drivers/net/can/vcan.c).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanFrame } from '../../src/frame.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import { CAN_ERR_MASK } from '../../src/can/linux-can.js';
import type { Candump } from './can-helpers.js';
import {
  ERROR_FRAME,
  addVcan,
  cansendAll,
  collectFrames,
  collectUntil,
  delLink,
  everyKernelFrameKind,
  hex,
  parseCandumpLine,
  skipReason,
  startCandump,
  toCanUtils,
  uniqueIfname,
} from './can-helpers.js';

const skip = skipReason();

/** The fields that cross the wire, data as hex. */
function wire(f: CanFrame): Record<string, unknown> {
  return {
    arbitrationId: f.arbitrationId,
    isExtendedId: f.isExtendedId,
    isRemoteFrame: f.isRemoteFrame,
    isErrorFrame: f.isErrorFrame,
    dlc: f.dlc,
    data: hex(f.data),
    isFd: f.isFd,
    bitrateSwitch: f.bitrateSwitch,
    errorStateIndicator: f.errorStateIndicator,
  };
}

describe.skipIf(skip !== null)('CanSocket and can-utils on a real vcan', () => {
  const iface = uniqueIfname('fr');
  let sock: CanSocket;
  let dump: Candump | undefined;
  const frames = [...everyKernelFrameKind(), ERROR_FRAME];

  beforeAll(async () => {
    await addVcan(iface);
    sock = new CanSocket({ interface: iface, fd: true, errorMask: CAN_ERR_MASK });
    await sock.start();
  });

  afterAll(async () => {
    dump?.stop();
    sock?.destroy();
    await delLink(iface);
  });

  it(`receives all ${frames.length} frame kinds sent by cansend, exact, with candump's timestamps`, async () => {
    expect(sock.fdCapable).toBe(true);
    dump = await startCandump(iface, CAN_ERR_MASK);
    const last = frames.at(-1);
    // Until the last frame; candump's readiness sentinels (0x7fe) may still be in flight: skipped.
    const received = collectUntil(sock, (got) =>
      got.some(
        (f) => f.isErrorFrame === last?.isErrorFrame && f.arbitrationId === last?.arbitrationId,
      ),
    );
    await cansendAll(iface, frames.map(toCanUtils));
    await dump.waitFor((lines) => lines.length >= frames.length);
    const got = (await received).filter((f) => !(f.arbitrationId === 0x7fe && !f.isExtendedId));
    expect(got.map(wire)).toEqual(frames.map(wire));
    expect(got.every((f) => f.channel === iface)).toBe(true);
    const dumped = dump.lines.map((l) => parseCandumpLine(l));
    expect(dumped.map((d) => d?.text)).toEqual(frames.map(toCanUtils));
    // Same skb, same kernel receive timestamp (candump prints microseconds).
    got.forEach((f, i) => {
      expect(Math.abs(f.timestamp - (dumped[i]?.ts ?? 0))).toBeLessThan(2e-6);
    });
    dump.stop();
    dump = undefined;
  });

  it(`sends all ${frames.length} frame kinds, which candump shows exactly`, async () => {
    dump = await startCandump(iface, CAN_ERR_MASK);
    for (const f of frames) expect(sock.send(f)).toBe(true);
    await dump.waitFor((lines) => lines.length >= frames.length);
    expect(dump.texts()).toEqual(frames.map(toCanUtils));
    expect(sock.counters).toMatchObject({ txFrames: frames.length, txQueued: 0 });
    expect(Object.values(sock.counters.txDropped).every((n) => n === 0)).toBe(true);
    dump.stop();
    dump = undefined;
  });

  it('delivers to a second CanSocket on the same interface, batched', async () => {
    const peer = new CanSocket({ interface: iface, fd: true, errorMask: CAN_ERR_MASK });
    await peer.start();
    try {
      const batches: number[] = [];
      peer.on('frames', (f) => batches.push(f.length));
      const received = collectFrames(peer, frames.length);
      for (const f of frames) sock.send(f);
      const got = await received;
      expect(got.map(wire)).toEqual(frames.map(wire));
      expect(batches.reduce((a, b) => a + b, 0)).toBe(frames.length);
      expect(peer.counters.rxBatches).toBe(batches.length);
    } finally {
      peer.destroy();
    }
  });
});
