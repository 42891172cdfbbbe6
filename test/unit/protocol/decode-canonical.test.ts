// The decoder's fast path (src/protocol/decode-canonical.ts) must take every datagram python-can
// itself writes and hand everything else to the general parser. Equivalence of the two paths on
// arbitrary and mutated bytes is checked in test/unit/fuzz/decode-datagram-fuzz.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { ANY, compileCheck, decodeCanonical } from '../../../src/protocol/decode-canonical.js';
import { decodeAnyLayout } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import { fuzzParams } from '../fuzz/fuzz-support.js';

/** Channels the fast path reads itself: nil, strings up to str8, and ints 0..2^32-1. */
function fastChannel(channel: CanFrame['channel']): boolean {
  if (channel === null) return true;
  if (typeof channel === 'string') return Buffer.byteLength(channel) < 0x100;
  return Number.isInteger(channel) && channel >= 0 && channel < 2 ** 32;
}

describe('decodeCanonical', () => {
  it('decodes every valid frame in python-can layout exactly as the general parser does', () => {
    let fast = 0;
    fc.assert(
      fc.property(validFrame, (frame) => {
        const buf = encodeFrame(frame);
        const general = decodeAnyLayout(buf);
        expect(general.ok).toBe(true);
        const decoded = decodeCanonical(buf);
        if (fastChannel(frame.channel)) {
          expect(decoded).not.toBeNull();
          fast++;
        }
        if (decoded !== null) expect(general).toEqual({ ok: true, frame: decoded });
      }),
      fuzzParams(1000),
    );
    expect(fast).toBeGreaterThan(500);
  });

  it.each([
    ['id 0x7f (fixint)', 0x7f],
    ['id 0x80 (uint8)', 0x80],
    ['id 0x100 (uint16)', 0x100],
    ['id 0x10000 (uint32)', 0x10000],
    ['id 0x1fffffff', 0x1fffffff],
  ])('reads %s', (_name, arbitrationId) => {
    const frame = makeFrame({ arbitrationId, channel: 'can0', data: Uint8Array.of(1, 2, 3) });
    expect(decodeCanonical(encodeFrame(frame))).toEqual(frame);
  });

  it('replaces the timestamp with the receive time when given', () => {
    const frame = makeFrame({ timestamp: 12.5, arbitrationId: 1 });
    expect(decodeCanonical(encodeFrame(frame), 99.25)).toEqual({ ...frame, timestamp: 99.25 });
  });

  it('hands every truncation and every extension of a canonical datagram to the general parser', () => {
    const buf = encodeFrame(
      makeFrame({ arbitrationId: 0x123, channel: 'vcan0', data: Uint8Array.of(7) }),
    );
    for (let n = 0; n < buf.length; n++) expect(decodeCanonical(buf.subarray(0, n))).toBeNull();
    expect(decodeCanonical(Buffer.concat([buf, Buffer.of(0xc0)]))).toBeNull();
  });

  it('hands a one-byte change to any key to the general parser', () => {
    const buf = encodeFrame(
      makeFrame({ arbitrationId: 0x123, channel: 'x', data: Uint8Array.of(7) }),
    );
    // Every byte of every key string (a fixstr header 0xa0..0xbf followed by lowercase ASCII/_).
    let changed = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i] as number;
      if (!((b >= 0x61 && b <= 0x7a) || b === 0x5f)) continue;
      const copy = Buffer.from(buf);
      copy[i] = b === 0x5f ? 0x61 : b ^ 0x01;
      if (decodeCanonical(copy) === null) changed++;
      else expect(decodeAnyLayout(copy)).toEqual({ ok: true, frame: decodeCanonical(copy) });
    }
    // Only the channel's text ('x') may change and still decode; every key byte must fall back.
    expect(changed).toBeGreaterThan(100);
  });
});

describe('compileCheck', () => {
  it('the generated check and the word-loop fallback (no code generation) agree on every input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(ANY), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.uint8Array({ minLength: 56, maxLength: 56 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (bytes, noise, shift, plant) => {
          // Padded as decode-canonical pads: `shift` ANY bytes in front, ANY up to a multiple of 4.
          const padded = [...new Array<number>(shift).fill(ANY), ...bytes];
          while (padded.length % 4 !== 0) padded.push(ANY);
          const buf = Uint8Array.from(noise);
          const at = 4; // room for the fallback's words that start `shift` bytes earlier
          // Half the time the expected bytes are really there, so both outcomes occur.
          if (plant) bytes.forEach((b, i) => b !== ANY && (buf[at + i] = b));
          const generated = compileCheck(bytes, padded, shift);
          const fallback = compileCheck(bytes, padded, shift, false);
          const expected = bytes.every((b, i) => b === ANY || buf[at + i] === b);
          expect(generated(buf, at)).toBe(expected);
          expect(fallback(buf, at)).toBe(expected);
        },
      ),
      fuzzParams(1000),
    );
  });
});
