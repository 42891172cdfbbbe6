/**
 * Shared pieces of the fuzz tests (issue 5 section 2): fixed seeds, byte mutations of valid
 * datagrams, structure-aware python-can maps, and the checks every accepted frame must pass.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { pack } from 'msgpackr';
import { expect } from 'vitest';
import {
  CANFD_LENGTHS,
  CAN_MAX_DLEN,
  validateFrame,
  validateFrameFields,
} from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { ACCEPTED_KEYS } from '../../../src/protocol/wire-keys.js';

/**
 * Every fuzz property runs from a fixed seed so CI is deterministic. To explore, run e.g.
 * `FUZZ_SEED=42 FUZZ_RUNS_FACTOR=20 npx vitest run test/unit/fuzz` and add what fails to corpus/.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_c0de);
const RUNS_FACTOR = Number(process.env.FUZZ_RUNS_FACTOR ?? 1);

/** fast-check parameters: the seed, `numRuns` runs (times FUZZ_RUNS_FACTOR). */
export function fuzzParams(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)) };
}

/** One byte-level mutation of a datagram. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'set'; at: number; value: number };

/** Positions are taken modulo the current length, so any mutation applies to any datagram. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert'),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('swap'), at: fc.nat(), with: fc.nat() }),
  // msgpack type bytes are where a decoder's assumptions live.
  fc.record({
    kind: fc.constant('set'),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0xc0, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xd9),
      fc.constantFrom(0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff, 0x7f, 0x80, 0x8f, 0x90, 0xa0),
      fc.integer({ min: 0, max: 255 }),
    ),
  }),
);

export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let buf = Array.from(input);
  for (const m of mutations) {
    const n = buf.length;
    switch (m.kind) {
      case 'flip':
        if (n > 0) buf[m.at % n] = (buf[m.at % n] ?? 0) ^ (1 << m.bit);
        break;
      case 'truncate':
        buf = buf.slice(0, n === 0 ? 0 : m.at % n);
        break;
      case 'insert':
        buf.splice(m.at % (n + 1), 0, ...m.bytes);
        break;
      case 'delete':
        if (n > 0) buf.splice(m.at % n, m.count);
        break;
      case 'swap':
        if (n > 0) {
          const a = m.at % n;
          const b = m.with % n;
          [buf[a], buf[b]] = [buf[b] ?? 0, buf[a] ?? 0];
        }
        break;
      case 'set':
        if (n > 0) buf[m.at % n] = m.value;
        break;
    }
  }
  return Uint8Array.from(buf);
}

/** Values of every msgpack type, including the edges python-can's fields care about. */
const wireValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -10, max: 70 }),
  fc.constantFrom(0x7ff, 0x800, 0x1fffffff, 0x20000000, 2 ** 32, 2 ** 53, -1, -(2 ** 31)),
  fc.double(),
  fc.float().map((f) => Math.fround(f)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 70 }),
  fc.array(fc.integer({ min: -2, max: 300 }), { maxLength: 12 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** python-can-shaped maps: mostly real keys, random values, sometimes unknown keys. */
export const structuredDatagram: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...ACCEPTED_KEYS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      ),
      wireValue,
    ),
    { maxLength: 14 },
  )
  .map((entries) => {
    try {
      return Uint8Array.from(pack(new Map(entries)));
    } catch {
      return Uint8Array.of(0x80); // a value msgpackr cannot pack: the empty map instead
    }
  });

/**
 * What every frame the decoder (or any relay step) lets through must be: python-can-valid fields,
 * a data length SocketCAN can carry once padded, and a channel python could have sent.
 */
export function expectAcceptableFrame(frame: CanFrame, { timestamp = true } = {}): void {
  expect(timestamp ? validateFrame(frame) : validateFrameFields(frame)).toBeNull();
  expect(frame.data).toBeInstanceOf(Uint8Array);
  if (frame.isFd) expect(frame.data.length).toBeLessThanOrEqual(64);
  else if (!frame.isRemoteFrame) expect(frame.data.length).toBeLessThanOrEqual(CAN_MAX_DLEN);
}

/** Frame written to CAN: valid, and an FD length the kernel takes (the bridge pads FD frames). */
export function expectWritableCanFrame(frame: CanFrame): void {
  expectAcceptableFrame(frame, { timestamp: false });
  if (frame.isFd) expect(CANFD_LENGTHS).toContain(frame.data.length);
}

/** A corpus file of test/unit/fuzz/corpus/, parsed. */
export function readCorpus<T>(name: string): T[] {
  const url = new URL(`./corpus/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T[];
}

export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
