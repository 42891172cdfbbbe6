/**
 * The python-can `udp_multicast` encoder: one CAN frame -> one msgpack map. Never touches a socket.
 *
 * Encoding reproduces python-can 4.1's bytes exactly (can/interfaces/udp_multicast/utils.py
 * `pack_message`: `msgpack.packb(as_dict, use_bin_type=True)`), so it is written by hand rather
 * than through a generic msgpack library: a generic JS encoder writes an integral float timestamp
 * (1700000000.0) as an int, python writes float64.
 *
 */
import { BridgeError } from '../errors.js';
import { validateFrame } from '../frame.js';
import type { CanChannel, CanFrame, FrameFault } from '../frame.js';
import { MAX_DATAGRAM_BYTES, WIRE_KEYS } from './wire-keys.js';

const textEncoder = new TextEncoder();
const keyBytes = WIRE_KEYS.map((key) => textEncoder.encode(key));

/** Why the encoder refused a frame: a python-can check, or a datagram python-can could not read whole. */
export type EncodeFault = FrameFault | 'too_large';

/** An error thrown by `encodeFrame`: code `ERR_INVALID_FRAME`, and the rule it broke in `reason`. */
export class InvalidFrameError extends BridgeError {
  readonly reason: EncodeFault;

  constructor(reason: EncodeFault) {
    super('ERR_INVALID_FRAME', `refusing to encode an invalid CAN frame: ${reason}`);
    this.name = 'InvalidFrameError';
    this.reason = reason;
  }
}

/**
 * True when msgpack can carry `n` as an integer (int64 / uint64). A larger integral number (a
 * float channel such as 1.8446744073709552e19, as a datagram may carry) goes out as float64, as
 * python's msgpack packs a float.
 */
function fitsMsgpackInt(n: number): boolean {
  return Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 64;
}

function writeInt(buf: Buffer, off: number, n: number): number {
  if (n >= 0) {
    if (n < 0x80) {
      buf[off] = n;
      return off + 1;
    }
    if (n < 0x100) {
      buf[off] = 0xcc;
      buf[off + 1] = n;
      return off + 2;
    }
    if (n < 0x10000) {
      buf[off] = 0xcd;
      buf.writeUInt16BE(n, off + 1);
      return off + 3;
    }
    if (n < 0x100000000) {
      buf[off] = 0xce;
      buf.writeUInt32BE(n, off + 1);
      return off + 5;
    }
    buf[off] = 0xcf;
    buf.writeBigUInt64BE(BigInt(n), off + 1);
    return off + 9;
  }
  if (n >= -32) {
    buf[off] = n & 0xff;
    return off + 1;
  }
  if (n >= -0x80) {
    buf[off] = 0xd0;
    buf.writeInt8(n, off + 1);
    return off + 2;
  }
  if (n >= -0x8000) {
    buf[off] = 0xd1;
    buf.writeInt16BE(n, off + 1);
    return off + 3;
  }
  if (n >= -0x80000000) {
    buf[off] = 0xd2;
    buf.writeInt32BE(n, off + 1);
    return off + 5;
  }
  buf[off] = 0xd3;
  buf.writeBigInt64BE(BigInt(n), off + 1);
  return off + 9;
}

/** The fixstr bytes of key `index` (every key is shorter than 32 bytes). */
function keyRun(index: number): number[] {
  const key = keyBytes[index] as Uint8Array;
  return [0xa0 | key.length, ...key];
}

/** `n` as python's msgpack packer writes it (the smallest form). */
function intBytes(n: number): number[] {
  const buf = Buffer.allocUnsafe(9);
  return [...buf.subarray(0, writeInt(buf, 0, n))];
}

/** The channel value as python's msgpack packer writes it. */
function channelBytes(channel: CanChannel): number[] {
  if (channel === null) return [0xc0];
  if (typeof channel === 'number') {
    if (fitsMsgpackInt(channel)) return intBytes(channel);
    const buf = Buffer.allocUnsafe(9);
    buf[0] = 0xcb;
    buf.writeDoubleBE(channel, 1);
    return [...buf];
  }
  const utf8 = textEncoder.encode(channel);
  const n = utf8.length;
  // use_bin_type=True enables str8 (0xd9), so python writes fixstr / str8 / str16 / str32.
  const head =
    n < 32
      ? [0xa0 | n]
      : n < 0x100
        ? [0xd9, n]
        : n < 0x10000
          ? [0xda, n >> 8, n & 0xff]
          : [0xdb, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return [...head, ...utf8];
}

/**
 * Everything of a datagram before the payload, for one channel value and one size of id: the map
 * header, the keys, the channel, and zeros where the per-frame values go (their offsets below).
 * A bridge stamps every frame with the same channel (its sender id), so encoding a frame is one
 * copy of this template plus a few patched bytes.
 */
interface Template {
  /** The whole datagram for one payload length: zeros where the payload goes. */
  readonly bytes: Uint8Array;
  readonly idAt: number;
  readonly flagsAt: number;
  readonly dlcAt: number;
  readonly dataAt: number;
}

/** The suffix after the payload: three keys and their bools (patched at SUFFIX_FD/BRS/ESI). */
const SUFFIX_PARTS = [keyRun(8), [0], keyRun(9), [0], keyRun(10), [0]];
const SUFFIX = Uint8Array.from(SUFFIX_PARTS.flat());
const SUFFIX_FD = SUFFIX_PARTS[0]!.length;
const SUFFIX_BRS = SUFFIX_FD + 1 + SUFFIX_PARTS[2]!.length;
const SUFFIX_ESI = SUFFIX.length - 1;

/** fixmap(11), "timestamp", float64 marker (python's float is always float64, never float32). */
const TIMESTAMP_AT = 1 + 1 + (keyBytes[0] as Uint8Array).length + 1;

function buildTemplate(channel: CanChannel, idBytes: number, dataLen: number): Template {
  const bytes: number[] = [0x8b, ...keyRun(0), 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, ...keyRun(1)];
  const idAt = bytes.length;
  bytes.push(...new Array<number>(idBytes).fill(0), ...keyRun(2));
  const flagsAt = bytes.length; // is_extended_id's bool; the next two follow their keys
  bytes.push(0, ...keyRun(3), 0, ...keyRun(4), 0, ...keyRun(5), ...channelBytes(channel));
  bytes.push(...keyRun(6));
  const dlcAt = bytes.length; // dlc is 0..64: always a positive fixint
  // data: python packs the bytearray as bin (use_bin_type=True); at most 64 bytes, so bin8.
  bytes.push(0, ...keyRun(7), 0xc4, dataLen);
  const dataAt = bytes.length;
  bytes.push(...new Array<number>(dataLen).fill(0), ...SUFFIX);
  // One copy of the whole template per frame: cheaper than a prefix and a suffix copy.
  return { bytes: Uint8Array.from(bytes), idAt, flagsAt, dlcAt, dataAt };
}

/**
 * Templates by the id's msgpack size (1, 2, 3 or 5 bytes) and payload length (0..64), for the
 * last channel seen.
 */
const templates: (Template | undefined)[][] = [[], [], [], [], [], []];
let templateChannel: CanChannel | undefined;

function idByteCount(id: number): number {
  return id < 0x80 ? 1 : id < 0x100 ? 2 : id < 0x10000 ? 3 : 5;
}

/** Checks `frame` and returns the template it is written with; throws InvalidFrameError. */
function templateFor(frame: CanFrame): Template {
  const fault = validateFrame(frame);
  if (fault !== null) throw new InvalidFrameError(fault);
  const channel = frame.channel;
  if (channel !== templateChannel) {
    for (const byLength of templates) byLength.length = 0;
    templateChannel = channel;
  }
  const idBytes = idByteCount(frame.arbitrationId);
  const byLength = templates[idBytes] as (Template | undefined)[];
  const dataLen = frame.data.length;
  let t = byLength[dataLen];
  if (t === undefined) {
    t = buildTemplate(channel, idBytes, dataLen);
    byLength[dataLen] = t;
  }
  if (t.bytes.length > MAX_DATAGRAM_BYTES) throw new InvalidFrameError('too_large');
  return t;
}

// Big-endian float64 through a scratch array: no DataView per datagram (host is little-endian,
// checked here once).
const scratchF64 = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchF64.buffer);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new BridgeError('ERR_UNSUPPORTED_HOST', 'encode-frame assumes a little-endian host');
}

/** Where is_remote_frame's and is_error_frame's bools are, counted from is_extended_id's. */
const REMOTE_AFTER_EXT = 1 + keyRun(3).length;
const ERROR_AFTER_EXT = REMOTE_AFTER_EXT + 1 + keyRun(4).length;

const C2 = 0xc2; // msgpack false
const C3 = 0xc3; // msgpack true

/** Writes the datagram of `frame` with template `t` at `out[off..]`; returns the end offset. */
function write(t: Template, frame: CanFrame, out: Uint8Array, off: number): number {
  out.set(t.bytes, off);
  scratchF64[0] = frame.timestamp;
  const ts = off + TIMESTAMP_AT;
  for (let i = 0; i < 8; i++) out[ts + i] = scratchBytes[7 - i] as number;
  const id = frame.arbitrationId;
  const idAt = off + t.idAt;
  if (id < 0x80) {
    out[idAt] = id;
  } else if (id < 0x100) {
    out[idAt] = 0xcc;
    out[idAt + 1] = id;
  } else if (id < 0x10000) {
    out[idAt] = 0xcd;
    out[idAt + 1] = id >> 8;
    out[idAt + 2] = id & 0xff;
  } else {
    out[idAt] = 0xce;
    out[idAt + 1] = id >>> 24;
    out[idAt + 2] = (id >> 16) & 0xff;
    out[idAt + 3] = (id >> 8) & 0xff;
    out[idAt + 4] = id & 0xff;
  }
  const flags = off + t.flagsAt;
  out[flags] = frame.isExtendedId ? C3 : C2;
  out[flags + REMOTE_AFTER_EXT] = frame.isRemoteFrame ? C3 : C2;
  out[flags + ERROR_AFTER_EXT] = frame.isErrorFrame ? C3 : C2;
  out[off + t.dlcAt] = frame.dlc;
  const data = frame.data;
  const n = data.length;
  let p = off + t.dataAt;
  // A loop beats TypedArray#set for the few bytes of a classic payload (no native call).
  if (n <= 16) for (let i = 0; i < n; i++) out[p + i] = data[i] as number;
  else out.set(data, p);
  p += n;
  out[p + SUFFIX_FD] = frame.isFd ? C3 : C2;
  out[p + SUFFIX_BRS] = frame.bitrateSwitch ? C3 : C2;
  out[p + SUFFIX_ESI] = frame.errorStateIndicator ? C3 : C2;
  return p + SUFFIX.length;
}

/**
 * Encodes a frame as the datagram python-can would send for the same `can.Message`.
 * Throws `InvalidFrameError` (code `ERR_INVALID_FRAME`) for any frame python-can's
 * `Message(check=True)` would reject, or one too large for a python-can receiver to read.
 */
export function encodeFrame(frame: CanFrame): Buffer {
  const t = templateFor(frame);
  const buf = Buffer.allocUnsafe(t.bytes.length);
  write(t, frame, buf, 0);
  return buf;
}

/**
 * `encodeFrame` into a caller's buffer at `offset`, for hot paths that batch datagrams into one
 * allocation; returns the offset just past the datagram. Throws `InvalidFrameError` as
 * `encodeFrame` does, and `BridgeError` `ERR_BUFFER_TOO_SMALL` when the datagram does not fit
 * (`MAX_DATAGRAM_BYTES` free from `offset` always suffices). Nothing is written on error.
 */
export function encodeFrameInto(frame: CanFrame, target: Uint8Array, offset = 0): number {
  const t = templateFor(frame);
  const end = offset + t.bytes.length;
  if (!(offset >= 0) || end > target.length) {
    throw new BridgeError(
      'ERR_BUFFER_TOO_SMALL',
      `a ${end - offset}-byte datagram does not fit at offset ${offset} of ${target.length} bytes`,
    );
  }
  return write(t, frame, target, offset);
}
