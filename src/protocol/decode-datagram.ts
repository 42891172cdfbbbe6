/**
 * The python-can `udp_multicast` decoder: one datagram -> one CAN frame or a drop reason.
 * Never touches a socket and never throws.
 *
 * It accepts what python-can 4.1's receiver accepts and rejects what it rejects:
 * `msgpack.unpackb(data, raw=False)` then `Message(check=True, **as_dict)` with the timestamp
 * replaced by the receive time (can/interfaces/udp_multicast/utils.py `unpack_message`, bus.py
 * `_recv_internal`). Where python would coerce a nonsensical type (a bool as an id, an int as
 * `data`), this decoder is stricter and reports `wrong_type`.
 */
import { BridgeError } from '../errors.js';
import { validateFrameFields } from '../frame.js';
import type { CanChannel, CanFrame, FrameFault } from '../frame.js';
import { channelText } from './channel-text.js';
import { decodeCanonical } from './decode-canonical.js';
import { ACCEPTED_KEYS, MAX_DATAGRAM_BYTES } from './wire-keys.js';

/** Why a datagram could not be decoded at all (as opposed to decoding to an invalid frame). */
export type DecodeFault =
  | 'too_large'
  | 'not_a_map'
  | 'truncated'
  | 'trailing_bytes'
  | 'key_not_string'
  | 'unknown_key'
  | 'wrong_type'
  | 'invalid_utf8'
  | 'malformed';

export type DecodeDropReason = DecodeFault | FrameFault;

export type DecodeResult = { ok: true; frame: CanFrame } | { ok: false; reason: DecodeDropReason };

const DECODE_FAULTS: ReadonlySet<string> = new Set<DecodeFault>([
  'too_large',
  'not_a_map',
  'truncated',
  'trailing_bytes',
  'key_not_string',
  'unknown_key',
  'wrong_type',
  'invalid_utf8',
  'malformed',
]);

/** True when a drop reason means "not a python-can datagram", false when it is an invalid frame. */
export function isDecodeFault(reason: DecodeDropReason): reason is DecodeFault {
  return DECODE_FAULTS.has(reason);
}

// Key indexes, in ACCEPTED_KEYS order.
const K_TIMESTAMP = 0;
const K_ARBITRATION_ID = 1;
const K_IS_EXTENDED_ID = 2;
const K_IS_REMOTE_FRAME = 3;
const K_IS_ERROR_FRAME = 4;
const K_CHANNEL = 5;
const K_DLC = 6;
const K_DATA = 7;
const K_IS_FD = 8;
const K_BITRATE_SWITCH = 9;
const K_ERROR_STATE_INDICATOR = 10;
const K_IS_RX = 11;

const keyBytes = ACCEPTED_KEYS.map((key) => new TextEncoder().encode(key));
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Little-endian scratch for float reads (x86 and arm64 Linux are little-endian; checked below).
const scratchF64 = new Float64Array(1);
const scratchF32 = new Float32Array(scratchF64.buffer, 0, 1);
const scratchBytes = new Uint8Array(scratchF64.buffer);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new BridgeError('ERR_UNSUPPORTED_HOST', 'decode-datagram assumes a little-endian host');
}

/** Thrown internally to unwind the parser; never escapes `decodeDatagram`. */
class Fault extends Error {
  constructor(readonly reason: DecodeFault) {
    super(reason);
  }
}

// One preallocated instance per reason: a flood of bad datagrams must not pay for stack traces.
const FAULTS = new Map<DecodeFault, Fault>(
  [...DECODE_FAULTS].map((r) => [r as DecodeFault, new Fault(r as DecodeFault)]),
);
function fault(reason: DecodeFault): Fault {
  return FAULTS.get(reason) as Fault;
}

/** Nesting python's msgpack would unpack but no valid datagram ever has; bounds the skipper. */
const MAX_DEPTH = 32;

/** A value kind after parsing: the parser keeps only what the frame fields can use. */
const T_NIL = 0;
const T_BOOL = 1;
const T_INT = 2;
const T_FLOAT = 3;
const T_STR = 4;
const T_BIN = 5;
const T_ARRAY = 6;
const T_OTHER = 7;

class Reader {
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

/** Which accepted key the string at buf[start..start+len) is, or -1. */
function keyIndex(buf: Uint8Array, start: number, len: number): number {
  let k = -1;
  // Pick the one candidate by length and a distinguishing byte, then compare it whole.
  switch (len) {
    case 9:
      k = K_TIMESTAMP;
      break;
    case 14: {
      const c0 = buf[start];
      if (c0 === 0x61)
        k = K_ARBITRATION_ID; // 'a'
      else if (c0 === 0x62)
        k = K_BITRATE_SWITCH; // 'b'
      else k = buf[start + 4] === 0x78 ? K_IS_EXTENDED_ID : K_IS_ERROR_FRAME; // is_e'x' / is_e'r'
      break;
    }
    case 15:
      k = K_IS_REMOTE_FRAME;
      break;
    case 7:
      k = K_CHANNEL;
      break;
    case 3:
      k = K_DLC;
      break;
    case 4:
      k = K_DATA;
      break;
    case 5:
      k = buf[start + 3] === 0x66 ? K_IS_FD : K_IS_RX; // is_'f'd / is_'r'x
      break;
    case 21:
      k = K_ERROR_STATE_INDICATOR;
      break;
    default:
      return -1;
  }
  const key = keyBytes[k] as Uint8Array;
  for (let i = 0; i < len; i++) if (buf[start + i] !== key[i]) return -1;
  return k;
}

function bool(r: Reader): boolean {
  // python-can would take any truthy value; a python-can sender only ever writes bools.
  if (r.type !== T_BOOL) throw fault('wrong_type');
  return r.num === 1;
}

/**
 * Decodes one datagram. `receiveTimestamp` (float seconds) replaces the sender's timestamp, as
 * python-can's receiver does; without it the sender's value is kept (whatever number it is: python
 * never checks the sender's timestamp, so neither does this).
 */
export function decodeDatagram(buf: Uint8Array, receiveTimestamp?: number): DecodeResult {
  if (buf.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: 'too_large' };
  // Nearly every datagram is laid out as python-can writes it; the general parser takes the rest.
  const frame = decodeCanonical(buf, receiveTimestamp);
  if (frame !== null) return { ok: true, frame };
  return decodeAnyLayout(buf, receiveTimestamp);
}

/**
 * `decodeDatagram` without the fast path for python-can's own layout: the general msgpack parser
 * alone (exported so tests can hold the two paths to the same results).
 */
export function decodeAnyLayout(buf: Uint8Array, receiveTimestamp?: number): DecodeResult {
  if (buf.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: 'too_large' };
  try {
    return decode(buf, receiveTimestamp);
  } catch (err) {
    if (err instanceof Fault) return { ok: false, reason: err.reason };
    throw err;
  }
}

function decode(buf: Uint8Array, receiveTimestamp: number | undefined): DecodeResult {
  const r = new Reader(buf);
  const head = r.u8();
  let count: number;
  if (head >= 0x80 && head <= 0x8f) count = head & 0x0f;
  else if (head === 0xde) count = r.u16();
  else if (head === 0xdf) count = r.u32();
  else return { ok: false, reason: 'not_a_map' };

  // python-can's Message defaults (can/message.py `__init__`).
  let timestamp = 0;
  let arbitrationId = 0;
  let isExtendedId = true;
  let isRemoteFrame = false;
  let isErrorFrame = false;
  let channel: CanChannel = null;
  let dlc = -1; // None: len(data)
  let data: Uint8Array | null = null;
  let dataWrongType = false;
  let isFd = false;
  let bitrateSwitch = false;
  let errorStateIndicator = false;

  for (let i = 0; i < count; i++) {
    const len = r.strLen();
    // msgpack-python's strict_map_key allows str and bytes keys; a bytes key then fails in
    // Message(**as_dict) ("keywords must be strings"), so only str keys are acceptable.
    if (len < 0) throw fault('key_not_string');
    r.span(len);
    const k = keyIndex(buf, r.start, len);
    if (k < 0) {
      // raw=False decodes keys as UTF-8 first: invalid UTF-8 fails before the unknown keyword does.
      try {
        utf8.decode(buf.subarray(r.start, r.end));
      } catch {
        throw fault('invalid_utf8');
      }
      throw fault('unknown_key');
    }
    r.value(0);
    switch (k) {
      case K_TIMESTAMP:
        if (r.type !== T_INT && r.type !== T_FLOAT) throw fault('wrong_type');
        timestamp = r.num;
        break;
      case K_ARBITRATION_ID:
        if (r.type !== T_INT) throw fault('wrong_type');
        arbitrationId = r.num;
        break;
      case K_IS_EXTENDED_ID:
        isExtendedId = bool(r);
        break;
      case K_IS_REMOTE_FRAME:
        isRemoteFrame = bool(r);
        break;
      case K_IS_ERROR_FRAME:
        isErrorFrame = bool(r);
        break;
      case K_CHANNEL:
        if (r.type === T_NIL) channel = null;
        else if (r.type === T_INT || r.type === T_FLOAT) channel = r.num;
        else if (r.type === T_STR) {
          try {
            channel = channelText(buf, r.start, r.end);
          } catch {
            throw fault('invalid_utf8');
          }
        } else throw fault('wrong_type');
        break;
      case K_DLC:
        if (r.type === T_NIL) dlc = -1;
        else if (r.type === T_INT) {
          // python-can raises "DLC may not be negative"; -1 is our None marker, keep them apart.
          if (r.num < 0) dlc = -2;
          else dlc = r.num;
        } else throw fault('wrong_type');
        break;
      case K_DATA:
        dataWrongType = false;
        if (r.type === T_NIL) data = null;
        else if (r.type === T_BIN) {
          // A plain Uint8Array copy: the frame must not pin or alias the datagram's buffer.
          const copy = new Uint8Array(r.end - r.start);
          for (let j = 0; j < copy.length; j++) copy[j] = buf[r.start + j] as number;
          data = copy;
        } else if (r.type === T_ARRAY && r.bytes !== null) data = r.bytes;
        // Decided after the loop: python-can drops data of a remote frame whatever its type.
        else dataWrongType = true;
        break;
      case K_IS_FD:
        isFd = bool(r);
        break;
      case K_BITRATE_SWITCH:
        bitrateSwitch = bool(r);
        break;
      case K_ERROR_STATE_INDICATOR:
        errorStateIndicator = bool(r);
        break;
      case K_IS_RX:
        bool(r); // accepted by Message.__init__, meaningless on the wire
        break;
    }
  }
  if (r.pos !== buf.length) return { ok: false, reason: 'trailing_bytes' };

  // can/message.py: `if data is None or is_remote_frame: self.data = bytearray()`.
  if (isRemoteFrame) data = new Uint8Array(0);
  else if (dataWrongType) return { ok: false, reason: 'wrong_type' };
  const payload = data ?? new Uint8Array(0);
  if (dlc === -1) dlc = payload.length;
  else if (dlc === -2) return { ok: false, reason: 'dlc_invalid' };

  const frame: CanFrame = {
    timestamp: receiveTimestamp ?? timestamp,
    arbitrationId,
    isExtendedId,
    isRemoteFrame,
    isErrorFrame,
    channel,
    dlc,
    data: payload,
    isFd,
    bitrateSwitch,
    errorStateIndicator,
  };
  // python-can checks the frame with its own receive timestamp in place, never the sender's.
  const invalid = validateFrameFields(frame);
  if (invalid !== null) return { ok: false, reason: invalid };
  return { ok: true, frame };
}
