/**
 * The CAN frame as the project carries it: python-can's `can.Message` fields in camelCase.
 * Pure data and validation; nothing here touches a socket.
 */
import { CAN_EFF_MASK, CAN_SFF_MASK } from './can/linux-can.js';
import { BridgeRangeError } from './errors.js';

/** python-can's `channel`: whatever the sending program put there (kept as sent by receivers). */
export type CanChannel = string | number | null;

export interface CanFrame {
  /** Seconds since the epoch, float, as python-can's `Message.timestamp`. */
  timestamp: number;
  /** The plain identifier, without `CAN_EFF_FLAG`/`CAN_RTR_FLAG`/`CAN_ERR_FLAG` bits. */
  arbitrationId: number;
  /** 29-bit identifier. */
  isExtendedId: boolean;
  /** RTR frame; `dlc` is the requested length and `data` is empty. */
  isRemoteFrame: boolean;
  /** Error frame: the error class is in `arbitrationId`, details in 8 data bytes (linux/can/error.h). */
  isErrorFrame: boolean;
  channel: CanChannel;
  /** Payload length in bytes (0..8 classic, 0..64 FD), not the 4-bit DLC code; for RTR the requested length. */
  dlc: number;
  data: Uint8Array;
  isFd: boolean;
  /** CAN FD bit rate switch (`CANFD_BRS` in linux/can.h). */
  bitrateSwitch: boolean;
  /** CAN FD error state indicator (`CANFD_ESI` in linux/can.h). */
  errorStateIndicator: boolean;
}

/** linux/can.h: `CAN_MAX_DLEN`. */
export const CAN_MAX_DLEN = 8;
/** linux/can.h: `CANFD_MAX_DLEN`. */
export const CANFD_MAX_DLEN = 64;

/** The payload lengths a CAN FD frame can have on the bus (ISO 11898-1 DLC 0..15; linux/can/dev.c `dlc2len`). */
export const CANFD_LENGTHS: readonly number[] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64,
];

const PADDED_FD_LENGTH: readonly number[] = (() => {
  const table: number[] = [];
  let next = 0;
  for (let len = 0; len <= CANFD_MAX_DLEN; len++) {
    while ((CANFD_LENGTHS[next] ?? CANFD_MAX_DLEN) < len) next++;
    table.push(CANFD_LENGTHS[next] ?? CANFD_MAX_DLEN);
  }
  return table;
})();

/**
 * The smallest valid CAN FD length that holds `len` bytes (linux/can/dev.c `can_fd_len2dlc`):
 * python-can accepts e.g. 13-byte FD frames, SocketCAN needs them padded to 16.
 */
export function canFdPaddedLength(len: number): number {
  const padded = PADDED_FD_LENGTH[len];
  if (padded === undefined) throw new BridgeRangeError(`no CAN FD length holds ${len} bytes`);
  return padded;
}

/** True when `len` is one of the 16 lengths a CAN FD frame can carry. */
export function isCanFdLength(len: number): boolean {
  return PADDED_FD_LENGTH[len] === len;
}

/** Why a frame is invalid: one code per rule of python-can's `Message._check` (can/message.py, 4.1.0). */
export type FrameFault =
  | 'timestamp_invalid'
  | 'remote_and_error'
  | 'remote_fd'
  | 'id_negative'
  | 'id_not_integer'
  | 'ext_id_too_large'
  | 'std_id_too_large'
  | 'dlc_invalid'
  | 'dlc_too_large'
  | 'dlc_data_mismatch'
  | 'remote_with_data'
  | 'brs_without_fd'
  | 'esi_without_fd'
  | 'channel_invalid';

/**
 * Checks a frame exactly as python-can's `Message(check=True)` does (can/message.py `_check`, 4.1.0),
 * plus the type checks that python takes for granted. Returns null for a valid frame.
 */
export function validateFrame(frame: CanFrame): FrameFault | null {
  const ts = frame.timestamp;
  // python-can: "the timestamp may not be negative / infinite / NaN"
  if (!(ts >= 0) || ts === Infinity) return 'timestamp_invalid';
  return validateFrameFields(frame);
}

/**
 * `validateFrame` without the timestamp: what a python-can receiver checks of a datagram, since it
 * replaces the sender's timestamp with its own receive time before the check.
 */
export function validateFrameFields(frame: CanFrame): FrameFault | null {
  if (frame.isRemoteFrame) {
    if (frame.isErrorFrame) return 'remote_and_error';
    if (frame.isFd) return 'remote_fd';
  }
  const id = frame.arbitrationId;
  if (!Number.isInteger(id)) return 'id_not_integer';
  if (id < 0) return 'id_negative';
  if (frame.isExtendedId) {
    if (id > CAN_EFF_MASK) return 'ext_id_too_large';
  } else if (id > CAN_SFF_MASK) {
    return 'std_id_too_large';
  }
  const dlc = frame.dlc;
  if (!Number.isInteger(dlc) || dlc < 0) return 'dlc_invalid';
  if (dlc > (frame.isFd ? CANFD_MAX_DLEN : CAN_MAX_DLEN)) return 'dlc_too_large';
  if (frame.isRemoteFrame) {
    if (frame.data.length !== 0) return 'remote_with_data';
  } else if (dlc !== frame.data.length) {
    return 'dlc_data_mismatch';
  }
  if (!frame.isFd) {
    if (frame.bitrateSwitch) return 'brs_without_fd';
    if (frame.errorStateIndicator) return 'esi_without_fd';
  }
  const ch = frame.channel;
  if (ch !== null && typeof ch !== 'string' && !(typeof ch === 'number' && Number.isFinite(ch))) {
    return 'channel_invalid';
  }
  return null;
}

/** A frame with python-can's defaults (`can.Message()`), overridden by `fields`. */
export function makeFrame(fields: Partial<CanFrame> = {}): CanFrame {
  const data = fields.data ?? new Uint8Array(0);
  return {
    timestamp: fields.timestamp ?? 0,
    arbitrationId: fields.arbitrationId ?? 0,
    // python-can's Message defaults is_extended_id to True.
    isExtendedId: fields.isExtendedId ?? true,
    isRemoteFrame: fields.isRemoteFrame ?? false,
    isErrorFrame: fields.isErrorFrame ?? false,
    channel: fields.channel ?? null,
    dlc: fields.dlc ?? data.length,
    data,
    isFd: fields.isFd ?? false,
    bitrateSwitch: fields.bitrateSwitch ?? false,
    errorStateIndicator: fields.errorStateIndicator ?? false,
  };
}
