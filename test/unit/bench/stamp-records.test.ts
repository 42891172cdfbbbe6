import { describe, expect, it } from 'vitest';
import {
  RECORD_BYTES,
  SIDE_A,
  SIDE_B,
  StampRecordReader,
  encodeDropRecord,
  encodeStampRecord,
  pacerPayload,
} from '../../../bench/stamp-records.js';

interface Seen {
  frames: [number, number, number, string, number][];
  drops: [number, number][];
}

function reader(baseSec?: number): { r: StampRecordReader; seen: Seen } {
  const seen: Seen = { frames: [], drops: [] };
  const r = new StampRecordReader(
    {
      frame: (side, tsUs, canId, data, len) =>
        seen.frames.push([side, tsUs, canId, data.toString('hex'), len]),
      drops: (side, total) => seen.drops.push([side, total]),
    },
    baseSec,
  );
  return { r, seen };
}

describe('StampRecordReader', () => {
  it('reads the layout can-stamp-rx.c writes, byte for byte', () => {
    // tv_sec 0x6930ab12, tv_nsec 123456789, can_id 0x105, data 00..07, side B, len 8.
    const raw = Buffer.from(
      '12ab3069' + '15cd5b07' + '05010000' + '0001020304050607' + '01' + '08' + '0000',
      'hex',
    );
    expect(raw.length).toBe(RECORD_BYTES);
    const { r, seen } = reader(0x6930ab10);
    r.push(raw);
    expect(seen.frames).toEqual([[SIDE_B, 2e6 + 123456.789, 0x105, '0001020304050607', 8]]);
  });

  it("counts from the second of the first frame, keeping nanoseconds at today's epoch", () => {
    const { r, seen } = reader();
    const sec = 1_796_000_000;
    r.push(encodeStampRecord(SIDE_A, { sec, nsec: 1 }, 0x101, pacerPayload(0, 0x101)));
    r.push(encodeStampRecord(SIDE_B, { sec: sec + 1, nsec: 250 }, 0x101, pacerPayload(0, 0x101)));
    // 1 s + 249 ns apart: as microseconds since 1970 in a double that would read 1 s + 250 ns.
    expect(r.baseSec).toBe(sec);
    expect(seen.frames.map((f) => f[1])).toEqual([0.001, 1e6 + 0.25]);
  });

  it('joins records split across chunks at every byte boundary', () => {
    const stream = Buffer.concat([
      encodeStampRecord(SIDE_A, { sec: 1e9, nsec: 0 }, 0x101, pacerPayload(1, 0x101)),
      encodeDropRecord(SIDE_B, 7),
      encodeStampRecord(SIDE_B, { sec: 1e9, nsec: 250_000 }, 0x101, pacerPayload(1, 0x101)),
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const { r, seen } = reader();
      r.push(stream.subarray(0, cut));
      r.push(stream.subarray(cut));
      expect(seen.frames.map((f) => [f[0], f[1]])).toEqual([
        [SIDE_A, 0],
        [SIDE_B, 250],
      ]);
      expect(seen.drops).toEqual([[SIDE_B, 7]]);
      expect(r.pending).toBe(0);
    }
  });

  it('holds back an incomplete record until the rest arrives', () => {
    const { r, seen } = reader();
    r.push(
      encodeStampRecord(SIDE_A, { sec: 5e8, nsec: 0 }, 0x101, pacerPayload(3, 0x101)).subarray(
        0,
        10,
      ),
    );
    expect(seen.frames).toEqual([]);
    expect(r.pending).toBe(10);
  });
});

describe('pacerPayload', () => {
  it('puts the sequence number then the CAN id, little endian, as can-pacer.c does', () => {
    expect(pacerPayload(0x01020304, 0x1fa).toString('hex')).toBe('04030201fa010000');
  });
});
