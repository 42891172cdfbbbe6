/**
 * One of every kind of frame the python-can wire format carries, for the interop tests: classic
 * and extended data frames of every length, remote frames of every requested length, error frames,
 * CAN FD of every length with every BRS/ESI combination, a 13-byte FD frame (python-can does not
 * check FD lengths, can/message.py `_check`), and channels as str, int and None.
 */
import { CANFD_LENGTHS, makeFrame } from '../../src/frame.js';
import type { CanChannel, CanFrame } from '../../src/frame.js';

const CHANNELS: readonly CanChannel[] = ['vcan0', 3, null, 'can-ü', 0];

function payload(len: number, seed: number): Uint8Array {
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = (seed * 31 + i * 7) & 0xff;
  return data;
}

/** Every kind of frame (119 of them), with distinct ids and float timestamps. */
export function everyFrameKind(): CanFrame[] {
  const frames: CanFrame[] = [];
  const add = (fields: Partial<CanFrame>): void => {
    const i = frames.length;
    frames.push(
      makeFrame({
        timestamp: 1700000000 + i * 0.001 + 0.000123,
        channel: CHANNELS[i % CHANNELS.length] ?? null,
        ...fields,
      }),
    );
  };
  for (const isExtendedId of [false, true]) {
    const top = isExtendedId ? 0x1fffffff : 0x7ff;
    for (let len = 0; len <= 8; len++) {
      add({ arbitrationId: len === 8 ? top : len, isExtendedId, data: payload(len, len) });
    }
    for (let len = 0; len <= 8; len++) {
      add({ arbitrationId: 0x100 + len, isExtendedId, isRemoteFrame: true, dlc: len });
    }
  }
  // linux/can/error.h: CAN_ERR_CRTL (0x4) with ctrl details, CAN_ERR_BUSOFF (0x40); 8 data bytes.
  add({
    arbitrationId: 0x4,
    isExtendedId: false,
    isErrorFrame: true,
    data: Uint8Array.of(0, 4, 0, 0, 0, 0, 0, 0),
  });
  add({ arbitrationId: 0x40, isExtendedId: true, isErrorFrame: true, data: new Uint8Array(8) });
  let id = 0x200;
  for (const len of CANFD_LENGTHS) {
    for (const [bitrateSwitch, errorStateIndicator] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      add({
        arbitrationId: id++,
        isExtendedId: false,
        isFd: true,
        bitrateSwitch,
        errorStateIndicator,
        data: payload(len, id),
      });
    }
    add({
      arbitrationId: 0x1abc0000 + len,
      isExtendedId: true,
      isFd: true,
      bitrateSwitch: true,
      data: payload(len, len),
    });
  }
  add({ arbitrationId: 0x321, isExtendedId: false, isFd: true, data: payload(13, 13) });
  return frames;
}
