/**
 * The records bench/can-stamp-rx.c writes to its stdout, parsed across pipe-chunk boundaries. A
 * record is 24 bytes, little endian: uint32 tv_sec, uint32 tv_nsec (the kernel's receive stamp),
 * uint32 can_id, uint8 data[8], uint8 side, uint8 len, uint16 0. A side with bit 0x80 set is a
 * drop record: the first uint32 of data is that socket's total SO_RXQ_OVFL drop count.
 */

/** Bytes per record. */
export const RECORD_BYTES = 24;

/** Bit of `side` that marks a drop-count record. */
const DROP_FLAG = 0x80;

/** The sides: the origin bus (the generator writes there) and the destination bus. */
export const SIDE_A = 0;
export const SIDE_B = 1;

export interface StampSink {
  /** A frame on `side` with its kernel receive stamp in microseconds since the reader's base. */
  frame(side: number, tsUs: number, canId: number, data: Buffer, len: number): void;
  /** The receiver's socket on `side` has dropped `total` frames since it was opened. */
  drops(side: number, total: number): void;
}

/**
 * Splits a byte stream into records; keeps a partial record until the next chunk. Stamps are
 * microseconds since `baseSec` (default: the second of the first frame), so that a double keeps
 * them to the nanosecond (microseconds since 1970 would be exact only to 0.25 us).
 */
export class StampRecordReader {
  #rest: Buffer = Buffer.alloc(0);

  constructor(
    readonly sink: StampSink,
    public baseSec: number | undefined = undefined,
  ) {}

  /** Feeds one chunk of the stream. */
  push(chunk: Buffer): void {
    const buf = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    const whole = buf.length - (buf.length % RECORD_BYTES);
    for (let off = 0; off < whole; off += RECORD_BYTES) {
      const side = buf[off + 20] ?? 0;
      if ((side & DROP_FLAG) !== 0) {
        this.sink.drops(side & ~DROP_FLAG, buf.readUInt32LE(off + 12));
        continue;
      }
      const sec = buf.readUInt32LE(off);
      this.baseSec ??= sec;
      const tsUs = (sec - this.baseSec) * 1e6 + buf.readUInt32LE(off + 4) / 1e3;
      const data = buf.subarray(off + 12, off + 20);
      this.sink.frame(side, tsUs, buf.readUInt32LE(off + 8), data, buf[off + 21] ?? 0);
    }
    this.#rest = Buffer.from(buf.subarray(whole));
  }

  /** Bytes of an incomplete record held back. */
  get pending(): number {
    return this.#rest.length;
  }
}

/** The payload the generator (bench/can-pacer.c) writes: sequence number, then the CAN id. */
export function pacerPayload(seq: number, canId: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(seq >>> 0, 0);
  b.writeUInt32LE(canId >>> 0, 4);
  return b;
}

/** One record as can-stamp-rx writes it (for tests of the reader and the matcher). */
export function encodeStampRecord(
  side: number,
  stamp: { sec: number; nsec: number },
  canId: number,
  data: Buffer,
  len = data.length,
): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeUInt32LE(stamp.sec, 0);
  b.writeUInt32LE(stamp.nsec, 4);
  b.writeUInt32LE(canId >>> 0, 8);
  data.copy(b, 12, 0, Math.min(8, data.length));
  b[20] = side;
  b[21] = len;
  return b;
}

/** A drop-count record as can-stamp-rx writes it. */
export function encodeDropRecord(side: number, total: number): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  b.writeUInt32LE(total >>> 0, 12);
  b[20] = DROP_FLAG | side;
  return b;
}
