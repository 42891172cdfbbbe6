import { describe, expect, it } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { CANFD_LENGTHS, canFdPaddedLength, makeFrame } from '../../../src/frame.js';
import {
  CAN_EFF_FLAG,
  CAN_ERR_FLAG,
  CAN_MTU,
  CAN_RTR_FLAG,
  CANFD_BRS,
  CANFD_ESI,
  CANFD_MTU,
  kernelCanId,
} from '../../../src/can/linux-can.js';
import { decodeKernelRecord, encodeKernelFrame } from '../../../src/socketcan/kernel-frame.js';
import { CAN_RECORD_LAYOUT } from '../../../src/socketcan/record-layout.js';
import { everyFrameKind } from '../../support/frame-kinds.js';

const layout = CAN_RECORD_LAYOUT;

/** Encodes into a TX slot, then moves the kernel bytes into an RX record as recvmmsg would. */
function roundTrip(
  frame: CanFrame,
  ts = { sec: 1700000000, nsec: 123456789 },
): {
  frame: CanFrame;
  tx: Uint8Array;
} {
  const tx = new Uint8Array(layout.txStride).fill(0xee);
  encodeKernelFrame(frame, tx, new DataView(tx.buffer), 0, layout);
  const size = tx[layout.txSizeOffset] ?? 0;
  const rx = new Uint8Array(layout.recordSize);
  const view = new DataView(rx.buffer);
  rx.set(tx.subarray(0, size));
  view.setFloat64(layout.tsSec, ts.sec, true);
  view.setUint32(layout.tsNsec, ts.nsec, true);
  view.setUint32(layout.msgLen, size, true);
  return { frame: decodeKernelRecord(rx, view, 0, layout, 'vcan9', 42), tx };
}

const kinds = everyFrameKind();

describe('kernel frame layout', () => {
  it('matches the addon record layout the decoder assumes', () => {
    expect(layout.recordSize).toBeGreaterThanOrEqual(layout.msgFlags + 4);
    expect(layout.tsSec).toBeGreaterThanOrEqual(CANFD_MTU);
    expect(layout.txSizeOffset).toBe(CANFD_MTU);
  });

  it.each(kinds.map((f, i) => [i, f] as const))(
    'round-trips frame kind #%i through the kernel layout',
    (_i, frame) => {
      const { frame: back } = roundTrip(frame);
      const padded = frame.isFd ? canFdPaddedLength(frame.data.length) : frame.data.length;
      const expectedData = new Uint8Array(padded);
      expectedData.set(frame.data);
      expect(back).toEqual({
        ...frame,
        // python-can's socketcan gives error frames without EFF an 11-bit id.
        arbitrationId: frame.arbitrationId,
        timestamp: 1700000000 + 123456789 / 1e9,
        channel: 'vcan9',
        dlc: frame.isRemoteFrame ? frame.dlc : padded,
        data: frame.isRemoteFrame ? new Uint8Array(0) : expectedData,
      });
    },
  );

  it.each([
    ['standard', makeFrame({ arbitrationId: 0x123, isExtendedId: false }), 0x123],
    [
      'extended',
      makeFrame({ arbitrationId: 0x123, isExtendedId: true }),
      (0x123 | CAN_EFF_FLAG) >>> 0,
    ],
    [
      'remote standard',
      makeFrame({ arbitrationId: 0x7ff, isExtendedId: false, isRemoteFrame: true, dlc: 8 }),
      (0x7ff | CAN_RTR_FLAG) >>> 0,
    ],
    [
      'remote extended',
      makeFrame({ arbitrationId: 0x1fffffff, isRemoteFrame: true, dlc: 2 }),
      0xdfffffff,
    ],
    [
      'error',
      makeFrame({
        arbitrationId: 0x4,
        isExtendedId: false,
        isErrorFrame: true,
        data: new Uint8Array(8),
      }),
      (0x4 | CAN_ERR_FLAG) >>> 0,
    ],
  ])('writes the can_id word of a %s frame with linux/can.h flags', (_name, frame, word) => {
    expect(kernelCanId(frame)).toBe(word);
    const { tx } = roundTrip(frame);
    expect(new DataView(tx.buffer).getUint32(0, true)).toBe(word);
  });

  it('writes a classic frame as a 16-byte struct can_frame with zeroed padding', () => {
    const { tx } = roundTrip(
      makeFrame({ arbitrationId: 0x123, isExtendedId: false, data: Uint8Array.of(0xde, 0xad) }),
    );
    expect(tx[layout.txSizeOffset]).toBe(CAN_MTU);
    expect([...tx.subarray(0, CAN_MTU)]).toEqual([
      0x23, 0x01, 0, 0, 2, 0, 0, 0, 0xde, 0xad, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('writes a remote frame with the requested length and no data', () => {
    const { tx } = roundTrip(
      makeFrame({ arbitrationId: 1, isExtendedId: false, isRemoteFrame: true, dlc: 5 }),
    );
    expect(tx[4]).toBe(5);
    expect([...tx.subarray(8, 16)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.each(
    CANFD_LENGTHS.flatMap(
      (len) =>
        [
          [len, false, false],
          [len, true, false],
          [len, false, true],
          [len, true, true],
        ] as const,
    ),
  )(
    'writes an FD frame of %i bytes (BRS %s, ESI %s) as a 72-byte struct canfd_frame',
    (len, brs, esi) => {
      const data = Uint8Array.from({ length: len }, (_, i) => i + 1);
      const frame = makeFrame({
        arbitrationId: 0x10,
        isFd: true,
        bitrateSwitch: brs,
        errorStateIndicator: esi,
        data,
      });
      const { tx, frame: back } = roundTrip(frame);
      expect(tx[layout.txSizeOffset]).toBe(CANFD_MTU);
      expect(tx[4]).toBe(len);
      expect(tx[5]).toBe((brs ? CANFD_BRS : 0) | (esi ? CANFD_ESI : 0));
      expect([...tx.subarray(8, 8 + len)]).toEqual([...data]);
      expect(tx.subarray(8 + len, 72).every((b) => b === 0)).toBe(true);
      expect(back.isFd).toBe(true);
      expect(back.bitrateSwitch).toBe(brs);
      expect(back.errorStateIndicator).toBe(esi);
    },
  );

  it('pads a 13-byte FD payload to 16 with zeros (linux/can/dev.c can_fd_len2dlc)', () => {
    const frame = makeFrame({ isFd: true, data: new Uint8Array(13).fill(9) });
    const { tx, frame: back } = roundTrip(frame);
    expect(tx[4]).toBe(16);
    expect([...back.data]).toEqual([...new Uint8Array(13).fill(9), 0, 0, 0]);
  });

  it('reads the kernel FDF flag (kernels >= 6.2) without taking it for BRS or ESI', () => {
    const rx = new Uint8Array(layout.recordSize);
    const view = new DataView(rx.buffer);
    rx[4] = 8;
    rx[5] = 0x04;
    view.setUint32(layout.msgLen, CANFD_MTU, true);
    const frame = decodeKernelRecord(rx, view, 0, layout, null, 5);
    expect(frame).toMatchObject({
      isFd: true,
      bitrateSwitch: false,
      errorStateIndicator: false,
      dlc: 8,
    });
  });

  it('uses the fallback timestamp when the kernel gave none', () => {
    const rx = new Uint8Array(layout.recordSize);
    const view = new DataView(rx.buffer);
    view.setUint32(layout.msgLen, CAN_MTU, true);
    expect(decodeKernelRecord(rx, view, 0, layout, null, 12.5).timestamp).toBe(12.5);
  });
});
