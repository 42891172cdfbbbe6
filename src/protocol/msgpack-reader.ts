/**
 * The msgpack value reader under the python-can decoder (decode-datagram.ts): one value at a time,
 * keeping only what the frame fields can use, and throwing a preallocated `Fault` on bad input
 * (msgpack spec: https://github.com/msgpack/msgpack/blob/master/spec.md).
 */
import { BridgeError } from '../errors.js';
import type { DecodeFault } from './decode-datagram.js';

// Little-endian scratch for float reads (x86 and arm64 Linux are little-endian; checked below).
const scratchF64 = new Float64Array(1);
const scratchF32 = new Float32Array(scratchF64.buffer, 0, 1);
const scratchBytes = new Uint8Array(scratchF64.buffer);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new BridgeError('ERR_UNSUPPORTED_HOST', 'msgpack-reader assumes a little-endian host');
}

/** Thrown internally to unwind the parser; never escapes `decodeDatagram`. */
export class Fault extends Error {
  constructor(readonly reason: DecodeFault) {
    super(reason);
  }
}

// One instance per reason, made once: a flood of bad datagrams must not pay for stack traces.
const FAULTS = new Map<DecodeFault, Fault>();

/** The one `Fault` of `reason`, to throw. */
export function fault(reason: DecodeFault): Fault {
  let f = FAULTS.get(reason);
  if (f === undefined) FAULTS.set(reason, (f = new Fault(reason)));
  return f;
}

/** Nesting python's msgpack would unpack but no valid datagram ever has; bounds the skipper. */
const MAX_DEPTH = 32;

/** A value kind after parsing: the parser keeps only what the frame fields can use. */
export const T_NIL = 0;
export const T_BOOL = 1;
export const T_INT = 2;
export const T_FLOAT = 3;
export const T_STR = 4;
export const T_BIN = 5;
export const T_ARRAY = 6;
const T_OTHER = 7;

export class Reader {
  pos = 0;
  /** Set by `value()`: the kind of the last value and its payload. */
  type = T_NIL;
  num = 0;
  start = 0;
  end = 0;
  /** For T_ARRAY: the bytes when every element is an int 0..255, else null. */
  bytes: Uint8Array | null = null;

  constructor(readonly buf: Uint8Array) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw fault('truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const v = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    const v =
      (b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
    this.pos += 4;
    return v;
  }

  /** Big-endian float64 at `pos`, without allocating a DataView per datagram. */
  f64(): number {
    this.need(8);
    const b = this.buf;
    for (let i = 0; i < 8; i++) scratchBytes[7 - i] = b[this.pos + i] as number;
    this.pos += 8;
    return scratchF64[0] as number;
  }

  f32(): number {
    this.need(4);
    const b = this.buf;
    for (let i = 0; i < 4; i++) scratchBytes[3 - i] = b[this.pos + i] as number;
    this.pos += 4;
    return scratchF32[0] as number;
  }

  /** Big-endian 64-bit integer as a Number (exact to 2^53, which is all a valid field needs). */
  i64(signed: boolean): number {
    const hi = this.u32();
    const lo = this.u32();
    if (signed && hi >= 0x80000000) return (hi - 0x100000000) * 0x100000000 + lo;
    return hi * 0x100000000 + lo;
  }

  span(n: number): void {
    this.need(n);
    this.start = this.pos;
    this.pos += n;
    this.end = this.pos;
  }

  /** Reads a string header and returns its byte length, or -1 when the next value is no string. */
  strLen(): number {
    const b = this.u8();
    if (b >= 0xa0 && b <= 0xbf) return b & 0x1f;
    if (b === 0xd9) return this.u8();
    if (b === 0xda) return this.u16();
    if (b === 0xdb) return this.u32();
    return -1;
  }

  /** Parses one value of any type into `type`/`num`/`start..end`/`bytes`. */
  value(depth: number): void {
    const b = this.u8();
    if (b <= 0x7f) return this.int(b);
    if (b >= 0xe0) return this.int(b - 0x100);
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        this.type = T_NIL;
        return;
      case 0xc2:
      case 0xc3:
        this.type = T_BOOL;
        this.num = b - 0xc2;
        return;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca:
        this.type = T_FLOAT;
        this.num = this.f32();
        return;
      case 0xcb:
        this.type = T_FLOAT;
        this.num = this.f64();
        return;
      case 0xcc:
        return this.int(this.u8());
      case 0xcd:
        return this.int(this.u16());
      case 0xce:
        return this.int(this.u32());
      case 0xcf:
        // Precision past 2^53 does not matter: every such id or dlc is rejected as too large.
        return this.int(this.i64(false));
      case 0xd0:
        return this.int((this.u8() << 24) >> 24);
      case 0xd1:
        return this.int((this.u16() << 16) >> 16);
      case 0xd2:
        return this.int(this.u32() | 0);
      case 0xd3:
        return this.int(this.i64(true));
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        // 0xc1 is "never used" in the msgpack spec; msgpack-python raises on it.
        throw fault('malformed');
    }
  }

  int(n: number): void {
    this.type = T_INT;
    this.num = n;
  }

  str(n: number): void {
    this.span(n);
    this.type = T_STR;
  }

  bin(n: number): void {
    this.span(n);
    this.type = T_BIN;
  }

  ext(n: number): void {
    this.span(n + 1); // the type byte, then the payload
    this.type = T_OTHER;
  }

  array(n: number, depth: number): void {
    if (depth >= MAX_DEPTH) throw fault('malformed');
    // Each element takes at least one byte: reject impossible counts before allocating.
    this.need(n);
    const bytes = new Uint8Array(n);
    let allBytes = true;
    for (let i = 0; i < n; i++) {
      this.value(depth + 1);
      // python-can does bytearray(list): every element must be an int 0..255.
      if (this.type === T_INT && this.num >= 0 && this.num <= 255) bytes[i] = this.num;
      else allBytes = false;
    }
    this.type = T_ARRAY;
    this.bytes = allBytes ? bytes : null;
  }

  map(n: number, depth: number): void {
    if (depth >= MAX_DEPTH) throw fault('malformed');
    this.need(n * 2);
    for (let i = 0; i < 2 * n; i++) this.value(depth + 1);
    this.type = T_OTHER;
  }
}
