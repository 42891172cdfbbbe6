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
import { validateFrameFields } from '../frame.js';
import type { CanChannel, CanFrame, FrameFault } from '../frame.js';
import { channelText } from './channel-text.js';
import { decodeCanonical } from './decode-canonical.js';
import {
  fault,
  Fault,
  Reader,
  T_ARRAY,
  T_BIN,
  T_BOOL,
  T_FLOAT,
  T_INT,
  T_NIL,
  T_STR,
} from './msgpack-reader.js';
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
