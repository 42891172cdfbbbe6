// encodeFrameInto: the same bytes as encodeFrame, written into a caller's buffer at an offset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.js';
import { makeFrame } from '../../../src/frame.js';
import {
  encodeFrame,
  encodeFrameInto,
  InvalidFrameError,
} from '../../../src/protocol/encode-frame.js';
import { MAX_DATAGRAM_BYTES } from '../../../src/protocol/wire-keys.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import { fuzzParams } from '../fuzz/fuzz-support.js';

describe('encodeFrameInto', () => {
  it('writes exactly what encodeFrame returns, at any offset, and returns the end', () => {
    const target = new Uint8Array(2 * MAX_DATAGRAM_BYTES);
    fc.assert(
      fc.property(validFrame, fc.integer({ min: 0, max: MAX_DATAGRAM_BYTES }), (frame, offset) => {
        target.fill(0xee);
        const expected = encodeFrame(frame);
        const end = encodeFrameInto(frame, target, offset);
        expect(end).toBe(offset + expected.length);
        expect(Buffer.from(target.subarray(offset, end)).equals(expected)).toBe(true);
        // Nothing outside the datagram is touched.
        expect(target.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
        expect(target.subarray(end).every((b) => b === 0xee)).toBe(true);
      }),
      fuzzParams(500),
    );
  });

  it('packs several datagrams back to back', () => {
    const frames = [
      makeFrame({ arbitrationId: 1, channel: 'a' }),
      makeFrame({ arbitrationId: 0x1234, channel: 7, data: Uint8Array.of(1, 2) }),
      makeFrame({ arbitrationId: 0x1fffffff, isFd: true, data: new Uint8Array(64).fill(9) }),
    ];
    const target = new Uint8Array(1024);
    let end = 0;
    for (const frame of frames) end = encodeFrameInto(frame, target, end);
    expect(
      Buffer.from(target.subarray(0, end)).equals(Buffer.concat(frames.map(encodeFrame))),
    ).toBe(true);
  });

  it('refuses a buffer that is too small with ERR_BUFFER_TOO_SMALL and writes nothing', () => {
    const frame = makeFrame({ arbitrationId: 1, data: Uint8Array.of(1, 2, 3) });
    const size = encodeFrame(frame).length;
    const target = new Uint8Array(size + 9).fill(0xee);
    expect(() => encodeFrameInto(frame, target, 10)).toThrow(
      expect.objectContaining({ code: 'ERR_BUFFER_TOO_SMALL' }),
    );
    expect(() => encodeFrameInto(frame, target, -1)).toThrow(
      expect.objectContaining({ code: 'ERR_BUFFER_TOO_SMALL' }),
    );
    expect(target.every((b) => b === 0xee)).toBe(true);
    expect(encodeFrameInto(frame, target, 9)).toBe(size + 9);
  });

  it('refuses an invalid frame as encodeFrame does', () => {
    const target = new Uint8Array(256).fill(0xee);
    let caught: unknown;
    try {
      encodeFrameInto(makeFrame({ arbitrationId: 0x800, isExtendedId: false }), target);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidFrameError);
    expect(errorCode(caught)).toBe('ERR_INVALID_FRAME');
    expect((caught as InvalidFrameError).reason).toBe('std_id_too_large');
    expect(target.every((b) => b === 0xee)).toBe(true);
  });
});
