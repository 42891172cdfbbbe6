import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../src/frame.js';
import type { CanFrame } from '../../src/frame.js';
import { formatFrameString, parseFrameString } from '../../src/frame-string.js';
import { validFrame } from '../support/frame-arbitrary.js';

const b = (...xs: number[]) => Uint8Array.from(xs);

describe('parseFrameString', () => {
  const good: [string, Partial<CanFrame>][] = [
    [
      '123#DEADBEEF',
      { arbitrationId: 0x123, isExtendedId: false, data: b(0xde, 0xad, 0xbe, 0xef) },
    ],
    ['123#', { arbitrationId: 0x123, isExtendedId: false }],
    [
      '7FF#de.ad.be.ef',
      { arbitrationId: 0x7ff, isExtendedId: false, data: b(0xde, 0xad, 0xbe, 0xef) },
    ],
    ['12345678#00', { arbitrationId: 0x12345678, isExtendedId: true, data: b(0) }],
    ['00000001#', { arbitrationId: 1, isExtendedId: true }],
    ['123#R', { arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: true, dlc: 0 }],
    ['123#r8', { arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: true, dlc: 8 }],
    ['1FFFFFFF#R3', { arbitrationId: 0x1fffffff, isRemoteFrame: true, dlc: 3 }],
    ['123##0', { arbitrationId: 0x123, isExtendedId: false, isFd: true }],
    // CANFD_FDF (4), which Linux >= 6.0 sets on every FD frame, as candump -L logs show it.
    [
      '123##5AA',
      {
        arbitrationId: 0x123,
        isExtendedId: false,
        isFd: true,
        bitrateSwitch: true,
        data: Uint8Array.of(0xaa),
        dlc: 1,
      },
    ],
    [
      '123##1AA',
      { arbitrationId: 0x123, isExtendedId: false, isFd: true, bitrateSwitch: true, data: b(0xaa) },
    ],
    [
      '123##3' + '11'.repeat(64),
      {
        arbitrationId: 0x123,
        isExtendedId: false,
        isFd: true,
        bitrateSwitch: true,
        errorStateIndicator: true,
        data: new Uint8Array(64).fill(0x11),
      },
    ],
    [
      '123##2' + '00'.repeat(13),
      {
        arbitrationId: 0x123,
        isExtendedId: false,
        isFd: true,
        errorStateIndicator: true,
        data: new Uint8Array(13),
      },
    ],
    [
      '20000004#0000000000000000',
      { arbitrationId: 4, isExtendedId: false, isErrorFrame: true, data: new Uint8Array(8) },
    ],
  ];
  it.each(good)('parses %s', (text, fields) => {
    expect(parseFrameString(text, 'ch')).toEqual(makeFrame({ channel: 'ch', ...fields }));
  });

  it.each([
    ['123DEADBEEF', "no '#'"],
    ['1234#00', 'the id must have 3 hex digits'],
    ['12#00', 'the id must have 3 hex digits'],
    ['800#00', 'larger than 0x7FF'],
    ['G23#00', 'not hexadecimal'],
    ['3FFFFFFF#00', 'error frame'],
    ['123#ABC', 'whole bytes'],
    ['123#ZZ', 'not hexadecimal'],
    ['123#XYZ', 'data "XYZ" is not hexadecimal: "X" is not a hex digit'],
    ['123#DE.AD.B', 'whole bytes'],
    ['123#001122334455667788', 'more than a classic frame carries (8)'],
    ['123##' + '0' + '00'.repeat(65), 'more than a CAN FD frame carries (64)'],
    ['123##', 'flags digit'],
    ['123##8', 'unknown bits'],
    ['123#R9', 'not 0..8'],
    ['123#RX', 'not 0..8'],
    ['20000004#R', 'cannot be a remote frame'],
    ['20000004##0', 'cannot be a CAN FD frame'],
  ])('rejects %s naming the problem (%s)', (text, why) => {
    expect(() => parseFrameString(text)).toThrow(why);
    try {
      parseFrameString(text);
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_FRAME_SYNTAX' });
    }
  });
});

describe('formatFrameString', () => {
  it.each([
    [{ arbitrationId: 0x123, isExtendedId: false, data: b(0xde, 0xad) }, '123#DEAD'],
    [{ arbitrationId: 0x5, isExtendedId: true, data: b() }, '00000005#'],
    [{ arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: true, dlc: 0 }, '123#R'],
    [{ arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: true, dlc: 4 }, '123#R4'],
    [
      { arbitrationId: 0x123, isExtendedId: false, isFd: true, bitrateSwitch: true, data: b(1) },
      '123##101',
    ],
    [
      {
        arbitrationId: 0x123,
        isExtendedId: false,
        isFd: true,
        errorStateIndicator: true,
        data: b(),
      },
      '123##2',
    ],
    [
      { arbitrationId: 0x40, isExtendedId: false, isErrorFrame: true, data: new Uint8Array(8) },
      '20000040#0000000000000000',
    ],
  ] as [Partial<CanFrame>, string][])('formats %o as %s', (fields, text) => {
    expect(formatFrameString(makeFrame(fields))).toBe(text);
  });

  it('round-trips every valid frame through candump syntax', () => {
    const frames = validFrame.filter((f) => !(f.isErrorFrame && f.isExtendedId));
    fc.assert(
      fc.property(frames, (frame) => {
        const parsed = parseFrameString(formatFrameString(frame), frame.channel);
        expect(parsed).toEqual({ ...frame, timestamp: 0 });
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but ERR_FRAME_SYNTAX on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 160 }), (text) => {
        try {
          parseFrameString(text);
        } catch (err) {
          expect(err).toMatchObject({ code: 'ERR_FRAME_SYNTAX' });
        }
      }),
      { numRuns: 3000 },
    );
  });
});
