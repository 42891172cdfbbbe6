import { describe, expect, it } from 'vitest';
import { CANFD_LENGTHS, makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { encodeFrame, InvalidFrameError } from '../../../src/protocol/encode-frame.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { WIRE_KEYS } from '../../../src/protocol/wire-keys.js';
import { unpack } from 'msgpackr';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);

describe('encodeFrame', () => {
  it('writes python-can bytes for a known message (captured from python-can 4.1 pack_message)', () => {
    const frame = makeFrame({
      timestamp: 1700000000,
      arbitrationId: 0x123,
      isExtendedId: false,
      data: Uint8Array.from([0xde, 0xad]),
      channel: 'vcan0',
    });
    expect(encodeFrame(frame).toString('hex')).toBe(
      '8ba974696d657374616d70cb41d954fc40000000ae6172626974726174696f6e5f6964cd0123ae69735f65787465' +
        '6e6465645f6964c2af69735f72656d6f74655f6672616d65c2ae69735f6572726f725f6672616d65c2a7636861' +
        '6e6e656ca57663616e30a3646c6302a464617461c402deada569735f6664c2ae626974726174655f7377697463' +
        '68c2b56572726f725f73746174655f696e64696361746f72c2',
    );
  });

  it('writes the 11 keys in python-can order with a float64 timestamp even when integral', () => {
    const buf = encodeFrame(makeFrame({ timestamp: 5 }));
    expect(buf[0]).toBe(0x8b);
    const map = unpack(buf) as Record<string, unknown>;
    expect(Object.keys(map)).toEqual([...WIRE_KEYS]);
    expect(buf[11]).toBe(0xcb); // after 0x8b + fixstr "timestamp"
  });

  it.each([
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [0xffff, 'cdffff'],
    [0x10000, 'ce00010000'],
    [0x1fffffff, 'ce1fffffff'],
  ])('writes arbitration id %i as the smallest uint (%s)', (id, hex) => {
    const buf = encodeFrame(makeFrame({ arbitrationId: id }));
    const at = buf.indexOf(Buffer.from('arbitration_id')) + 'arbitration_id'.length;
    expect(buf.subarray(at, at + hex.length / 2).toString('hex')).toBe(hex);
  });

  it.each([
    [null, 'c0'],
    [0, '00'],
    [-5, 'fb'],
    [-100, 'd09c'],
    [300, 'cd012c'],
    [1.5, 'cb3ff8000000000000'],
    ['can0', 'a463616e30'],
    ['x'.repeat(32), 'd920' + '78'.repeat(32)],
    ['x'.repeat(256), 'da0100' + '78'.repeat(256)],
  ])('writes channel %j as python msgpack does', (channel, hex) => {
    const buf = encodeFrame(makeFrame({ channel }));
    const at = buf.indexOf(Buffer.from('channel')) + 'channel'.length;
    expect(buf.subarray(at, at + hex.length / 2).toString('hex')).toBe(hex);
  });

  it.each(CANFD_LENGTHS.map((n) => [n]))('round-trips an FD frame of %i bytes', (n) => {
    const frame = makeFrame({ isFd: true, bitrateSwitch: true, data: bytes(n), timestamp: 1.25 });
    const res = decodeDatagram(encodeFrame(frame));
    expect(res).toEqual({ ok: true, frame });
  });

  const kinds: [string, Partial<CanFrame>][] = [
    ['classic std', { isExtendedId: false, arbitrationId: 0x7ff, data: bytes(8) }],
    ['classic ext', { arbitrationId: 0x1fffffff, data: bytes(0) }],
    ['remote', { isRemoteFrame: true, dlc: 4, isExtendedId: false }],
    ['error', { isErrorFrame: true, arbitrationId: 0x4, data: bytes(8) }],
    ['fd esi', { isFd: true, errorStateIndicator: true, data: bytes(48) }],
    ['unicode channel', { channel: 'kanal-é' }],
  ];
  it.each(kinds)('round-trips a %s frame', (_name, fields) => {
    const frame = makeFrame({ timestamp: 1700000000.5, ...fields });
    expect(decodeDatagram(encodeFrame(frame))).toEqual({ ok: true, frame });
  });

  it.each([
    ['std_id_too_large', { isExtendedId: false, arbitrationId: 0x800 }],
    ['dlc_data_mismatch', { data: bytes(2), dlc: 3 }],
    ['remote_fd', { isRemoteFrame: true, isFd: true }],
    ['brs_without_fd', { bitrateSwitch: true }],
    ['timestamp_invalid', { timestamp: -1 }],
    ['too_large', { channel: 'x'.repeat(4000) }],
  ] as const)('refuses with ERR_INVALID_FRAME (%s)', (reason, fields) => {
    const err = (() => {
      try {
        encodeFrame(makeFrame(fields));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InvalidFrameError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_FRAME', reason });
  });
});
