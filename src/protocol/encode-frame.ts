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

/** Bytes msgpack needs for an integer as python's msgpack packer writes it (smallest form). */
function intSize(n: number): number {
  if (n >= 0) {
    if (n < 0x80) return 1;
    if (n < 0x100) return 2;
    if (n < 0x10000) return 3;
    if (n < 0x100000000) return 5;
    return 9;
  }
  if (n >= -32) return 1;
  if (n >= -0x80) return 2;
  if (n >= -0x8000) return 3;
  if (n >= -0x80000000) return 5;
  return 9;
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

function writeKey(buf: Buffer, off: number, index: number): number {
  const key = keyBytes[index] as Uint8Array;
  buf[off] = 0xa0 | key.length; // fixstr: every key is shorter than 32 bytes
  buf.set(key, off + 1);
  return off + 1 + key.length;
}

function writeBool(buf: Buffer, off: number, value: boolean): number {
  buf[off] = value ? 0xc3 : 0xc2;
  return off + 1;
}

/**
 * Size of the channel value; a string is returned encoded through `channelUtf8`. The last string
 * is cached: a bridge stamps every frame with the same channel (its sender id).
 */
let channelUtf8: Uint8Array = new Uint8Array(0);
let channelText = '';
function channelSize(channel: CanChannel): number {
  if (channel === null) return 1;
  if (typeof channel === 'number') return fitsMsgpackInt(channel) ? intSize(channel) : 9;
  if (channel !== channelText) {
    channelUtf8 = textEncoder.encode(channel);
    channelText = channel;
  }
  const n = channelUtf8.length;
  // use_bin_type=True enables str8 (0xd9), so python writes fixstr / str8 / str16 / str32.
  return n + (n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

function writeChannel(buf: Buffer, off: number, channel: CanChannel): number {
  if (channel === null) {
    buf[off] = 0xc0;
    return off + 1;
  }
  if (typeof channel === 'number') {
    if (fitsMsgpackInt(channel)) return writeInt(buf, off, channel);
    buf[off] = 0xcb;
    buf.writeDoubleBE(channel, off + 1);
    return off + 9;
  }
  const n = channelUtf8.length;
  if (n < 32) {
    buf[off++] = 0xa0 | n;
  } else if (n < 0x100) {
    buf[off++] = 0xd9;
    buf[off++] = n;
  } else if (n < 0x10000) {
    buf[off] = 0xda;
    buf.writeUInt16BE(n, off + 1);
    off += 3;
  } else {
    buf[off] = 0xdb;
    buf.writeUInt32BE(n, off + 1);
    off += 5;
  }
  buf.set(channelUtf8, off);
  return off + n;
}

/** Constant bytes of the map: the fixmap header and the 11 keys with their one-byte headers. */
const FIXED_BYTES = 1 + keyBytes.reduce((sum, key) => sum + 1 + key.length, 0);

/**
 * Encodes a frame as the datagram python-can would send for the same `can.Message`.
 * Throws `InvalidFrameError` (code `ERR_INVALID_FRAME`) for any frame python-can's
 * `Message(check=True)` would reject, or one too large for a python-can receiver to read.
 */
export function encodeFrame(frame: CanFrame): Buffer {
  const fault = validateFrame(frame);
  if (fault !== null) throw new InvalidFrameError(fault);
  const dataLen = frame.data.length;
  const size =
    FIXED_BYTES +
    9 + // float64 timestamp
    intSize(frame.arbitrationId) +
    6 + // the six bools
    channelSize(frame.channel) +
    intSize(frame.dlc) +
    2 + // bin8 header: data is at most 64 bytes
    dataLen;
  if (size > MAX_DATAGRAM_BYTES) throw new InvalidFrameError('too_large');
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x8b; // fixmap with 11 entries
  let off = writeKey(buf, 1, 0);
  // python's float is always float64 (0xcb); msgpack-python never shrinks it to float32.
  buf[off] = 0xcb;
  buf.writeDoubleBE(frame.timestamp, off + 1);
  off = writeKey(buf, off + 9, 1);
  off = writeInt(buf, off, frame.arbitrationId);
  off = writeBool(buf, writeKey(buf, off, 2), frame.isExtendedId);
  off = writeBool(buf, writeKey(buf, off, 3), frame.isRemoteFrame);
  off = writeBool(buf, writeKey(buf, off, 4), frame.isErrorFrame);
  off = writeChannel(buf, writeKey(buf, off, 5), frame.channel);
  off = writeInt(buf, writeKey(buf, off, 6), frame.dlc);
  off = writeKey(buf, off, 7);
  buf[off] = 0xc4; // bin8: python packs the bytearray as bin because of use_bin_type=True
  buf[off + 1] = dataLen;
  buf.set(frame.data, off + 2);
  off = writeBool(buf, writeKey(buf, off + 2 + dataLen, 8), frame.isFd);
  off = writeBool(buf, writeKey(buf, off, 9), frame.bitrateSwitch);
  writeBool(buf, writeKey(buf, off, 10), frame.errorStateIndicator);
  return buf;
}
