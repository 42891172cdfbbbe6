/**
 * The fast path of the decoder: a datagram laid out exactly as python-can 4.1's `pack_message`
 * writes it (fixmap of the 11 keys in its order, float64 timestamp, bin8 data, bools, small ints)
 * is read with straight-line code. Anything else, including every invalid frame, returns null and
 * goes through the general decoder (decode-datagram.ts), which gives the drop reason. Never throws.
 */
import { CAN_EFF_MASK, CAN_SFF_MASK } from '../can/linux-can.js';
import { BridgeError } from '../errors.js';
import { CAN_MAX_DLEN, CANFD_MAX_DLEN } from '../frame.js';
import type { CanChannel, CanFrame } from '../frame.js';
import { channelText } from './channel-text.js';
import { WIRE_KEYS } from './wire-keys.js';

const encoder = new TextEncoder();

/** fixstr header + UTF-8 of key `i` (every key is shorter than 32 bytes). */
function keyRun(i: number): number[] {
  const key = encoder.encode(WIRE_KEYS[i]);
  return [0xa0 | key.length, ...key];
}

/** A placeholder in a layout: a byte that varies from frame to frame. */
export const ANY = -1;

/** Expected bytes (ANY for a varying one) as 32-bit little-endian words plus masks of the constant bytes. */
interface Pattern {
  readonly words: Int32Array;
  readonly masks: Int32Array;
}

function pattern(bytes: readonly number[]): Pattern {
  const count = bytes.length >> 2;
  const words = new Int32Array(count);
  const masks = new Int32Array(count);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === ANY) continue;
    const k = i >> 2;
    words[k] = (words[k] as number) | (b << (8 * (i & 3)));
    masks[k] = (masks[k] as number) | (0xff << (8 * (i & 3)));
  }
  return { words, masks };
}

/**
 * python-can's datagram up to the payload for one size of id and of channel value: the expected
 * byte, or ANY where a value goes. Checking a datagram against it is one loop over one array, which
 * is faster than matching the eleven keys one by one.
 */
interface Layout {
  /** Bytes up to the payload. */
  readonly length: number;
  /** True when a datagram has the layout's constant bytes (see `compileCheck`). */
  readonly check: Check;
  readonly idAt: number;
  readonly flagsAt: readonly [number, number, number];
  readonly channelAt: number;
  readonly dlcAt: number;
}

const TIMESTAMP_AT = 1 + keyRun(0).length + 1;
const ID_AT = TIMESTAMP_AT + 8 + keyRun(1).length;

function buildLayout(idSize: number, channelSize: number): Layout {
  const any = (n: number): number[] => new Array<number>(n).fill(ANY);
  const bytes: number[] = [0x8b, ...keyRun(0), 0xcb, ...any(8), ...keyRun(1), ...any(idSize)];
  const flags: number[] = [];
  for (const key of [2, 3, 4]) {
    bytes.push(...keyRun(key));
    flags.push(bytes.length);
    bytes.push(ANY);
  }
  bytes.push(...keyRun(5));
  const channelAt = bytes.length;
  bytes.push(...any(channelSize), ...keyRun(6));
  const dlcAt = bytes.length;
  // then the bin8 header: python packs the bytearray as bin (use_bin_type=True), at most 64 bytes
  bytes.push(ANY, ...keyRun(7), 0xc4, ANY);
  return {
    length: bytes.length,
    // Padded at the end for the word-wise fallback: the four bytes of the last word are still
    // inside the datagram (the payload length byte and the suffix come after).
    check: compileCheck(bytes, [...bytes, ...any((4 - (bytes.length % 4)) % 4)], 0),
    idAt: ID_AT,
    flagsAt: flags as [number, number, number],
    channelAt,
    dlcAt,
  };
}

/** After the payload: three keys, each followed by its bool (ANY). */
const SUFFIX_BYTES = [...keyRun(8), ANY, ...keyRun(9), ANY, ...keyRun(10), ANY];
const SUFFIX_LENGTH = SUFFIX_BYTES.length;
/** Padded at the front so its words end with the datagram (what comes before: bin8 header, payload). */
const SUFFIX_PAD = (4 - (SUFFIX_LENGTH % 4)) % 4;
const SUFFIX_CHECK = compileCheck(
  SUFFIX_BYTES,
  [...new Array<number>(SUFFIX_PAD).fill(ANY), ...SUFFIX_BYTES],
  SUFFIX_PAD,
);
const SUFFIX_BOOLS = SUFFIX_BYTES.flatMap((b, i) => (b === ANY ? [i] : []));

/** Layouts by id size (1, 2, 3, 5 bytes) and channel size (up to 2 + 255 bytes: nil/int/fixstr/str8). */
const layouts: (Layout | undefined)[][] = [[], [], [], [], [], []];

/** The smallest layout (one-byte id and channel), built once and kept for decoding too. */
const SMALLEST = buildLayout(1, 1);
(layouts[1] as (Layout | undefined)[])[1] = SMALLEST;
/** The shortest canonical datagram: every value one byte, except the 9-byte timestamp. */
const MIN_LENGTH = SMALLEST.length + SUFFIX_LENGTH;
/** Bytes between the end of the id and the channel value (the three flags and their keys). */
const CHANNEL_AFTER_ID = SMALLEST.channelAt - ID_AT - 1;

const scratchF64 = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchF64.buffer);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new BridgeError('ERR_UNSUPPORTED_HOST', 'decode-canonical assumes a little-endian host');
}

/**
 * True when buf[p..] has the constant bytes of `pattern`; the caller guarantees the bytes exist.
 * Word by word (assembled from bytes: the datagram's alignment is unknown), which is faster than
 * byte by byte, where most of the decoder's time went.
 */
function matches(buf: Uint8Array, p: number, pattern: Pattern): boolean {
  const { words, masks } = pattern;
  const n = words.length;
  for (let k = 0; k < n; k++) {
    const q = p + 4 * k;
    const w =
      (buf[q] as number) |
      ((buf[q + 1] as number) << 8) |
      ((buf[q + 2] as number) << 16) |
      ((buf[q + 3] as number) << 24);
    if ((w & (masks[k] as number)) !== words[k]) return false;
  }
  return true;
}

/** Checks the constant bytes of a layout placed at buf[p..]; the caller guarantees they exist. */
export type Check = (buf: Uint8Array, p: number) => boolean;

/**
 * A `Check` compiled to straight-line code, one comparison per constant byte with the byte inline
 * (`b[p+1]!==169||...`): faster per datagram than the word loop of `matches`, as msgpackr compiles
 * its record readers. The source holds nothing but indexes and
 * byte values of our own key table. Where code generation is disallowed
 * (--disallow-code-generation-from-strings) the word loop is used: `padded` is `bytes` aligned for
 * it, starting `shift` bytes before them.
 */
export function compileCheck(
  bytes: readonly number[],
  padded: readonly number[],
  shift: number,
  generate = true,
): Check {
  const tests = bytes.flatMap((b, i) => (b === ANY ? [] : [`b[p+${i}]!==${b}`]));
  try {
    if (!generate) throw new Error('code generation off');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: generated from constants only
    return new Function('b', 'p', `return !(${tests.join('||')});`) as Check;
  } catch {
    const words = pattern(padded);
    return (buf, p) => matches(buf, p - shift, words);
  }
}

/** A msgpack bool at buf[p]: 1 (true), 0 (false), or -1 (anything else). */
function bool(buf: Uint8Array, p: number): number {
  const b = buf[p];
  return b === 0xc3 ? 1 : b === 0xc2 ? 0 : -1;
}

/** Bytes the non-negative msgpack int (at most 32 bits) starting with `b` takes, or 0. */
function uintSize(b: number): number {
  return b < 0x80 ? 1 : b === 0xcc ? 2 : b === 0xcd ? 3 : b === 0xce ? 5 : 0;
}

/** The value of the int `uintSize` accepted at buf[p]. */
function uint(buf: Uint8Array, p: number): number {
  const b = buf[p] as number;
  if (b < 0x80) return b;
  if (b === 0xcc) return buf[p + 1] as number;
  if (b === 0xcd) return ((buf[p + 1] as number) << 8) | (buf[p + 2] as number);
  return (
    (buf[p + 1] as number) * 0x1000000 +
    (((buf[p + 2] as number) << 16) | ((buf[p + 3] as number) << 8) | (buf[p + 4] as number))
  );
}

/** Bytes a nil, fixstr/str8 or small uint channel starting at buf[p] takes, or 0 for any other kind. */
function channelSize(buf: Uint8Array, p: number): number {
  const b = buf[p] as number;
  if (b >= 0xa0 && b <= 0xbf) return 1 + (b & 0x1f);
  if (b === 0xd9) return 2 + (buf[p + 1] as number);
  if (b === 0xc0) return 1;
  return uintSize(b);
}

/** The channel `channelSize` accepted at buf[p..end); undefined when its text is not UTF-8. */
function channel(buf: Uint8Array, p: number, end: number): CanChannel | undefined {
  const b = buf[p] as number;
  if (b === 0xc0) return null;
  let start: number;
  if (b >= 0xa0 && b <= 0xbf) start = p + 1;
  else if (b === 0xd9) start = p + 2;
  else return uint(buf, p);
  try {
    return channelText(buf, start, end);
  } catch {
    return undefined; // invalid UTF-8: the general decoder reports it
  }
}

/**
 * Decodes a canonical python-can datagram into a valid frame, or returns null when the datagram is
 * laid out any other way or the frame is invalid (then the general decoder decides).
 * `receiveTimestamp` replaces the sender's timestamp, as in `decodeDatagram`.
 */
export function decodeCanonical(buf: Uint8Array, receiveTimestamp?: number): CanFrame | null {
  const length = buf.length;
  if (length < MIN_LENGTH) return null;
  const idSize = uintSize(buf[ID_AT] as number);
  if (idSize === 0) return null;
  // The channel's place follows from the id's size; MIN_LENGTH covers reading its first 2 bytes.
  const channelAt = ID_AT + idSize + CHANNEL_AFTER_ID;
  if (channelAt + 2 > length) return null;
  const chSize = channelSize(buf, channelAt);
  if (chSize === 0) return null;
  const bySize = layouts[idSize] as (Layout | undefined)[];
  let layout = bySize[chSize];
  if (layout === undefined) {
    layout = buildLayout(idSize, chSize);
    bySize[chSize] = layout;
  }
  const dataAt = layout.length;
  if (dataAt + SUFFIX_LENGTH > length) return null;
  const n = buf[dataAt - 1] as number;
  // Exactly the payload and the suffix are left: no truncation, no trailing bytes.
  if (dataAt + n + SUFFIX_LENGTH !== length) return null;
  if (!layout.check(buf, 0) || !SUFFIX_CHECK(buf, length - SUFFIX_LENGTH)) {
    return null;
  }
  const [extAt, rtrAt, errAt] = layout.flagsAt;
  const ext = bool(buf, extAt);
  const rtr = bool(buf, rtrAt);
  const err = bool(buf, errAt);
  const suffixAt = dataAt + n;
  const fd = bool(buf, suffixAt + (SUFFIX_BOOLS[0] as number));
  const brs = bool(buf, suffixAt + (SUFFIX_BOOLS[1] as number));
  const esi = bool(buf, suffixAt + (SUFFIX_BOOLS[2] as number));
  if ((ext | rtr | err | fd | brs | esi) < 0) return null;
  // A dlc byte that is no positive fixint (nil, a negative fixint, an int header) reads as 0x80 or
  // more and fails the length checks below: the general way decides.
  const dlc = buf[layout.dlcAt] as number;
  const arbitrationId = uint(buf, ID_AT);
  // python-can's Message._check (can/message.py 4.1) for what this layout can carry (ints are
  // non-negative, flags bools, the channel nil/str/int), inlined; anything it refuses, and a remote
  // frame with a payload (which python empties first), goes the general way for its reason.
  if (rtr === 1) {
    if (err === 1 || fd === 1 || n !== 0) return null;
  } else if (dlc !== n) {
    return null;
  }
  if (fd === 1 ? dlc > CANFD_MAX_DLEN : dlc > CAN_MAX_DLEN || brs === 1 || esi === 1) return null;
  if (arbitrationId > (ext === 1 ? CAN_EFF_MASK : CAN_SFF_MASK)) return null;
  const ch = channel(buf, channelAt, channelAt + chSize);
  if (ch === undefined) return null;
  let timestamp: number;
  if (receiveTimestamp === undefined) {
    for (let i = 0; i < 8; i++) scratchBytes[7 - i] = buf[TIMESTAMP_AT + i] as number;
    timestamp = scratchF64[0] as number;
  } else {
    timestamp = receiveTimestamp;
  }
  const data = new Uint8Array(n); // a copy: the frame must not pin or alias the datagram's buffer
  for (let i = 0; i < n; i++) data[i] = buf[dataAt + i] as number;
  return {
    timestamp,
    arbitrationId,
    isExtendedId: ext === 1,
    isRemoteFrame: rtr === 1,
    isErrorFrame: err === 1,
    channel: ch,
    dlc,
    data,
    isFd: fd === 1,
    bitrateSwitch: brs === 1,
    errorStateIndicator: esi === 1,
  };
}
