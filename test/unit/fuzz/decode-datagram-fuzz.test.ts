// Property-based and mutation fuzzing of the datagram decoder (src/protocol/decode-datagram.ts):
// it never throws, every frame it accepts is python-can-valid and re-encodes, and every datagram
// it refuses gets a drop reason. Fixed seeds (fuzz-support.ts); the corpus replays found cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { decodeCanonical } from '../../../src/protocol/decode-canonical.js';
import {
  decodeAnyLayout,
  decodeDatagram,
  isDecodeFault,
} from '../../../src/protocol/decode-datagram.js';
import type { DecodeDropReason, DecodeResult } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import {
  applyMutations,
  expectAcceptableFrame,
  fromHex,
  fuzzParams,
  mutation,
  readCorpus,
  structuredDatagram,
} from './fuzz-support.js';

const RECEIVED_AT = 1700000000.25;

const DROP_REASONS: readonly DecodeDropReason[] = [
  'too_large',
  'not_a_map',
  'truncated',
  'trailing_bytes',
  'key_not_string',
  'unknown_key',
  'wrong_type',
  'invalid_utf8',
  'malformed',
  'timestamp_invalid',
  'remote_and_error',
  'remote_fd',
  'id_negative',
  'id_not_integer',
  'ext_id_too_large',
  'std_id_too_large',
  'dlc_invalid',
  'dlc_too_large',
  'dlc_data_mismatch',
  'remote_with_data',
  'brs_without_fd',
  'esi_without_fd',
  'channel_invalid',
];

/** Decodes both ways (sender's timestamp kept, and replaced as the bus does) and checks both. */
function checkDecode(buf: Uint8Array): DecodeResult {
  let kept: DecodeResult;
  let replaced: DecodeResult;
  try {
    kept = decodeDatagram(buf);
    replaced = decodeDatagram(buf, RECEIVED_AT);
  } catch (err) {
    throw new Error(`decodeDatagram threw on ${Buffer.from(buf).toString('hex')}`, { cause: err });
  }
  expect(kept.ok).toBe(replaced.ok);
  // The fast path for python-can's own layout decides nothing the general parser would not.
  expect(replaced).toEqual(decodeAnyLayout(buf, RECEIVED_AT));
  expect(kept).toEqual(decodeAnyLayout(buf));
  const fast = decodeCanonical(buf, RECEIVED_AT);
  if (fast !== null) expect(replaced).toEqual({ ok: true, frame: fast });
  if (replaced.ok) {
    const frame = replaced.frame;
    expect(frame.timestamp).toBe(RECEIVED_AT);
    expectAcceptableFrame(frame);
    // python never checks the sender's timestamp, so neither does the decoder without one.
    if (kept.ok) expectAcceptableFrame(kept.frame, { timestamp: false });
    // Re-encoding succeeds and decodes to the same frame (a fixed point after one trip).
    const again = decodeDatagram(encodeFrame(frame));
    expect(again).toEqual({ ok: true, frame });
  } else {
    expect(DROP_REASONS).toContain(replaced.reason);
    if (!kept.ok && isDecodeFault(replaced.reason)) expect(kept.reason).toBe(replaced.reason);
  }
  return replaced;
}

describe('fuzzing decodeDatagram', () => {
  it('round-trips every valid frame python-can could send', () => {
    fc.assert(
      fc.property(validFrame, (frame: CanFrame) => {
        const result = checkDecode(encodeFrame(frame));
        expect(result).toEqual({ ok: true, frame: { ...frame, timestamp: RECEIVED_AT } });
      }),
      fuzzParams(500),
    );
  });

  it('never throws on arbitrary bytes, and gives a drop reason for what it refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (buf) => {
        checkDecode(buf);
      }),
      fuzzParams(2000),
    );
  });

  it('never throws on mutated valid datagrams (bit flips, truncation, insertion, swaps)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(validFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, muts) => {
        const result = checkDecode(applyMutations(encodeFrame(frame), muts));
        if (result.ok) accepted++;
        else refused++;
      }),
      fuzzParams(2500),
    );
    // Both outcomes must actually occur, or the mutations are too weak (or too strong) to test.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(100);
  });

  it('never throws on python-can-shaped maps with random values', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(structuredDatagram, (buf) => {
        const r = checkDecode(buf);
        seen.add(r.ok ? 'ok' : r.reason);
      }),
      fuzzParams(2000),
    );
    expect(seen.has('ok')).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(7);
  });

  it('refuses a datagram over 4096 bytes and accepts nothing but a map', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4097, max: 70000 }), (n) => {
        expect(decodeDatagram(new Uint8Array(n))).toEqual({ ok: false, reason: 'too_large' });
      }),
      fuzzParams(50),
    );
  });
});

describe('regressions found by fuzzing', () => {
  it.each([
    ['2^64', 2 ** 64],
    ['-2^64', -(2 ** 64)],
    ['1e300', 1e300],
  ])(
    'encodeFrame no longer throws RangeError for an integral channel beyond int64/uint64 (%s) the decoder accepts',
    (_name, channel) => {
      const frame = { ...makeFrame({ arbitrationId: 1, isExtendedId: false }), channel };
      const buf = encodeFrame(frame);
      const key = Buffer.from('\xa7channel', 'latin1');
      expect(buf[buf.indexOf(key) + key.length]).toBe(0xcb); // float64, as python packs a float
      expect(decodeDatagram(buf)).toEqual({ ok: true, frame });
    },
  );
});

interface DatagramCase {
  name: string;
  hex: string;
  /** 'ok', or the drop reason. */
  expect: string;
}

describe('decodeDatagram fuzz corpus (regressions and interesting cases)', () => {
  const cases = readCorpus<DatagramCase>('datagrams.json');
  it('has cases', () => expect(cases.length).toBeGreaterThan(10));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = checkDecode(fromHex(c.hex));
    expect(result.ok ? 'ok' : result.reason).toBe(c.expect);
  });
});
