import { describe, expect, it } from 'vitest';
import {
  CANFD_LENGTHS,
  canFdPaddedLength,
  isCanFdLength,
  makeFrame,
  validateFrame,
} from '../../src/frame.js';
import type { CanFrame, FrameFault } from '../../src/frame.js';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

describe('canFdPaddedLength', () => {
  it.each([
    [0, 0],
    [8, 8],
    [9, 12],
    [12, 12],
    [13, 16],
    [17, 20],
    [21, 24],
    [25, 32],
    [33, 48],
    [49, 64],
    [64, 64],
  ])('pads %i bytes to %i', (len, padded) => {
    expect(canFdPaddedLength(len)).toBe(padded);
  });

  it('maps every valid FD length to itself and nothing else to itself', () => {
    for (let len = 0; len <= 64; len++) {
      expect(isCanFdLength(len)).toBe(CANFD_LENGTHS.includes(len));
      expect(canFdPaddedLength(len) >= len).toBe(true);
    }
  });

  it('throws a RangeError past 64 bytes', () => {
    expect(() => canFdPaddedLength(65)).toThrow(RangeError);
  });
});

describe('validateFrame', () => {
  const valid: [string, Partial<CanFrame>][] = [
    ['python-can default message', {}],
    ['std id 0x7ff', { isExtendedId: false, arbitrationId: 0x7ff }],
    ['ext id 0x1fffffff', { arbitrationId: 0x1fffffff }],
    ['8 data bytes', { data: bytes(8) }],
    ['remote with requested length', { isRemoteFrame: true, dlc: 8 }],
    ['error frame', { isErrorFrame: true, arbitrationId: 0x20, data: bytes(8) }],
    [
      'FD 64 bytes with BRS and ESI',
      { isFd: true, data: bytes(64), bitrateSwitch: true, errorStateIndicator: true },
    ],
    ['FD odd length 13 (python-can does not check the FD table)', { isFd: true, data: bytes(13) }],
    ['string channel', { channel: 'vcan0' }],
    ['int channel', { channel: 3 }],
  ];
  it.each(valid)('accepts %s', (_name, fields) => {
    expect(validateFrame(makeFrame(fields))).toBeNull();
  });

  const invalid: [FrameFault, Partial<CanFrame>][] = [
    ['timestamp_invalid', { timestamp: -1 }],
    ['timestamp_invalid', { timestamp: NaN }],
    ['timestamp_invalid', { timestamp: Infinity }],
    ['remote_and_error', { isRemoteFrame: true, isErrorFrame: true }],
    ['remote_fd', { isRemoteFrame: true, isFd: true }],
    ['id_negative', { arbitrationId: -1 }],
    ['id_not_integer', { arbitrationId: 1.5 }],
    ['std_id_too_large', { isExtendedId: false, arbitrationId: 0x800 }],
    ['ext_id_too_large', { arbitrationId: 0x20000000 }],
    ['dlc_invalid', { dlc: -1 }],
    ['dlc_too_large', { data: bytes(9) }],
    ['dlc_too_large', { isFd: true, data: bytes(65) }],
    ['dlc_too_large', { isRemoteFrame: true, dlc: 9 }],
    ['dlc_data_mismatch', { data: bytes(3), dlc: 4 }],
    ['remote_with_data', { isRemoteFrame: true, data: bytes(1), dlc: 1 }],
    ['brs_without_fd', { bitrateSwitch: true }],
    ['esi_without_fd', { errorStateIndicator: true }],
    ['channel_invalid', { channel: NaN }],
  ];
  it.each(invalid)('rejects with %s: %o', (fault, fields) => {
    expect(validateFrame(makeFrame(fields))).toBe(fault);
  });
});
