/**
 * CAN frames as can-utils write them: cansend's input and candump's output (can-utils lib.c
 * `parse_canframe` / `snprintf_canframe`). Pure functions; no I/O.
 *
 *   123#DEADBEEF        classic, 11-bit id (3 hex digits), data bytes optionally split by '.'
 *   12345678#00         classic, 29-bit id (8 hex digits)
 *   123#R  123#R4       remote frame, optional requested length 0..8
 *   123##1DEADBEEF      CAN FD: one flags nibble (1 = BRS, 2 = ESI, 4 = FDF) then up to 64 bytes
 *   20000004#0000...    error frame: 8 digits with CAN_ERR_FLAG (0x20000000) set
 */
import { CAN_ERR_FLAG, CANFD_BRS, CANFD_ESI, CANFD_FDF } from './can/linux-can.js';
import { BridgeError } from './errors.js';
import { CAN_EFF_MASK } from './can/linux-can.js';
import { CAN_MAX_DLEN, CANFD_MAX_DLEN, makeFrame, validateFrame } from './frame.js';
import type { CanChannel, CanFrame } from './frame.js';

function fail(text: string, why: string): never {
  throw new BridgeError('ERR_FRAME_SYNTAX', `invalid frame "${text}": ${why}`);
}

function hexValue(text: string, digits: string, what: string): number {
  if (!/^[0-9a-fA-F]+$/.test(digits)) fail(text, `${what} "${digits}" is not hexadecimal`);
  return parseInt(digits, 16);
}

/**
 * Parses cansend syntax into a frame (timestamp 0, the given channel). Throws a BridgeError with
 * code `ERR_FRAME_SYNTAX` naming the problem, for bad syntax and for frames python-can would reject.
 */
export function parseFrameString(text: string, channel: CanChannel = null): CanFrame {
  const hash = text.indexOf('#');
  if (hash < 0) fail(text, "expected <id>#<data>, e.g. 123#DEADBEEF (no '#')");
  const idText = text.slice(0, hash);
  let rest = text.slice(hash + 1);
  if (idText.length !== 3 && idText.length !== 8) {
    fail(text, `the id must have 3 hex digits (11-bit) or 8 (29-bit), not ${idText.length}`);
  }
  let id = hexValue(text, idText, 'id');
  let isExtendedId = idText.length === 8;
  let isErrorFrame = false;
  if (isExtendedId) {
    // can-utils lib.c: 8 digits with CAN_ERR_FLAG is an error frame, otherwise an extended frame.
    if (id & CAN_ERR_FLAG) {
      isErrorFrame = true;
      isExtendedId = false;
      id &= CAN_EFF_MASK;
      // python-can's socketcan interface carries error frames as 11-bit ids (id & 0x7FF).
      if (id > 0x7ff)
        fail(text, `error frame class 0x${id.toString(16)} does not fit an 11-bit id`);
    } else if (id > CAN_EFF_MASK) {
      fail(text, `29-bit id 0x${idText} is larger than 0x1FFFFFFF`);
    }
  } else if (id > 0x7ff) {
    fail(text, `11-bit id 0x${idText} is larger than 0x7FF`);
  }

  if (rest.startsWith('R') || rest.startsWith('r')) {
    if (isErrorFrame) fail(text, 'an error frame cannot be a remote frame');
    const lenText = rest.slice(1);
    if (!/^[0-8]?$/.test(lenText)) fail(text, `remote frame length "${lenText}" is not 0..8`);
    const dlc = lenText === '' ? 0 : Number(lenText);
    return makeFrame({ arbitrationId: id, isExtendedId, isRemoteFrame: true, dlc, channel });
  }

  let isFd = false;
  let flags = 0;
  if (rest.startsWith('#')) {
    if (isErrorFrame) fail(text, 'an error frame cannot be a CAN FD frame');
    isFd = true;
    const flagText = rest.slice(1, 2);
    if (flagText === '')
      fail(text, 'CAN FD frame needs a flags digit after ##, e.g. 123##1 or 123##0');
    flags = hexValue(text, flagText, 'CAN FD flags');
    // CANFD_FDF ("mark CAN FD for dual use of struct canfd_frame", linux/can.h): Linux >= 6.2 sets
    // it on every FD frame, so `candump -L` logs show `##5` where cansend wrote `##1`. Accepted
    // and implied.
    if (flags & ~(CANFD_BRS | CANFD_ESI | CANFD_FDF)) {
      fail(text, `CAN FD flags ${flagText} has unknown bits (1 = BRS, 2 = ESI, 4 = FDF)`);
    }
    rest = rest.slice(2);
  }

  const hex = rest.replace(/\./g, '');
  // Non-hex characters first: "XYZ" is not hex at all, whatever its length.
  const bad = /[^0-9a-fA-F]/.exec(hex);
  if (bad !== null) {
    fail(text, `data "${rest}" is not hexadecimal: "${bad[0]}" is not a hex digit (0-9, A-F)`);
  }
  if (hex.length % 2 !== 0) fail(text, 'data must be whole bytes (an even number of hex digits)');
  const data = Uint8Array.from(Buffer.from(hex, 'hex'));
  const max = isFd ? CANFD_MAX_DLEN : CAN_MAX_DLEN;
  if (data.length > max) {
    fail(
      text,
      `${data.length} data bytes is more than a ${isFd ? 'CAN FD' : 'classic'} frame carries (${max})`,
    );
  }
  const frame = makeFrame({
    arbitrationId: id,
    isExtendedId,
    isErrorFrame,
    data,
    isFd,
    bitrateSwitch: (flags & CANFD_BRS) !== 0,
    errorStateIndicator: (flags & CANFD_ESI) !== 0,
    channel,
  });
  const fault = validateFrame(frame);
  if (fault !== null) fail(text, fault);
  return frame;
}

function hexUpper(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

/** Formats a frame as candump writes it: `123#DEADBEEF`, `123#R4`, `123##1DEAD`, `20000004#...`. */
export function formatFrameString(frame: CanFrame): string {
  let id: string;
  if (frame.isErrorFrame)
    id = ((frame.arbitrationId | CAN_ERR_FLAG) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  else
    id = frame.arbitrationId
      .toString(16)
      .toUpperCase()
      .padStart(frame.isExtendedId ? 8 : 3, '0');
  if (frame.isRemoteFrame) return `${id}#R${frame.dlc > 0 ? frame.dlc : ''}`;
  if (frame.isFd) {
    const flags =
      (frame.bitrateSwitch ? CANFD_BRS : 0) | (frame.errorStateIndicator ? CANFD_ESI : 0);
    return `${id}##${flags.toString(16).toUpperCase()}${hexUpper(frame.data)}`;
  }
  return `${id}#${hexUpper(frame.data)}`;
}
