/**
 * The kernel's CAN frame layout (linux/can.h `struct can_frame` / `struct canfd_frame`) to and from
 * the project's `CanFrame`. Pure byte work on the addon's record buffers; no sockets here.
 */
import type { CanChannel, CanFrame } from '../frame.js';
import { canFdPaddedLength } from '../frame.js';
import {
  CAN_EFF_FLAG,
  CAN_EFF_MASK,
  CAN_ERR_FLAG,
  CAN_MTU,
  CAN_RTR_FLAG,
  CAN_SFF_MASK,
  CANFD_BRS,
  CANFD_ESI,
  CANFD_MTU,
  kernelCanId,
} from '../can/linux-can.js';
import type { RecordLayout } from '../native/native-binding.js';
import { CAN_RECORD_LAYOUT } from './record-layout.js';

/** linux/can.h: offsets inside `struct canfd_frame` (struct can_frame shares the first 16 bytes). */
const OFF_LEN = 4;
const OFF_FLAGS = 5;
const OFF_DATA = 8;

/**
 * Writes `frame` as a kernel frame at `offset` of `buf` (which must hold `layout.txStride` bytes
 * there) and the number of bytes to write (CAN_MTU or CANFD_MTU) at `layout.txSizeOffset`.
 * The frame must already be valid (`validateFrame`). FD payloads are zero-padded to the next FD
 * length, as python-can does (can/interfaces/socketcan/socketcan.py `build_can_frame`).
 */
export function encodeKernelFrame(
  frame: CanFrame,
  buf: Uint8Array,
  view: DataView,
  offset: number,
  layout: RecordLayout,
): void {
  view.setUint32(offset, kernelCanId(frame), true);
  const data = frame.data;
  let len: number;
  if (frame.isFd) len = canFdPaddedLength(data.length);
  else if (frame.isRemoteFrame) len = frame.dlc;
  else len = data.length;
  buf[offset + OFF_LEN] = len;
  buf[offset + OFF_FLAGS] = frame.isFd
    ? (frame.bitrateSwitch ? CANFD_BRS : 0) | (frame.errorStateIndicator ? CANFD_ESI : 0)
    : 0;
  buf[offset + 6] = 0;
  buf[offset + 7] = 0;
  // Zero the whole payload area: stale bytes of an earlier frame never reach the kernel.
  const dataEnd = offset + (frame.isFd ? CANFD_MTU : CAN_MTU);
  if (!frame.isRemoteFrame) buf.set(data, offset + OFF_DATA);
  buf.fill(0, offset + OFF_DATA + (frame.isRemoteFrame ? 0 : data.length), dataEnd);
  buf[offset + layout.txSizeOffset] = frame.isFd ? CANFD_MTU : CAN_MTU;
}

/**
 * Reads the received record at `offset` as a `CanFrame`, field for field as python-can's socketcan
 * `capture_message` does. `fallbackTimestamp` (seconds) is used when the kernel gave none.
 */
export function decodeKernelRecord(
  buf: Uint8Array,
  view: DataView,
  offset: number,
  layout: RecordLayout,
  channel: CanChannel,
  fallbackTimestamp: number,
): CanFrame {
  const canId = view.getUint32(offset, true);
  const len = buf[offset + OFF_LEN] ?? 0;
  const flags = buf[offset + OFF_FLAGS] ?? 0;
  const isFd = view.getUint32(offset + layout.msgLen, true) === CANFD_MTU;
  const isExtendedId = (canId & CAN_EFF_FLAG) !== 0;
  const isRemoteFrame = (canId & CAN_RTR_FLAG) !== 0;
  const isErrorFrame = (canId & CAN_ERR_FLAG) !== 0;
  const sec = view.getFloat64(offset + layout.tsSec, true);
  const nsec = view.getUint32(offset + layout.tsNsec, true);
  const dataLen = isRemoteFrame ? 0 : Math.min(len, isFd ? CANFD_MTU - OFF_DATA : 8);
  return {
    timestamp: sec === 0 && nsec === 0 ? fallbackTimestamp : sec + nsec / 1e9,
    // python-can socketcan.py: `can_id & 0x1FFFFFFF` if EFF else `can_id & 0x000007FF`.
    arbitrationId: isExtendedId ? (canId & CAN_EFF_MASK) >>> 0 : canId & CAN_SFF_MASK,
    isExtendedId,
    isRemoteFrame,
    isErrorFrame,
    channel,
    dlc: len,
    data: buf.slice(offset + OFF_DATA, offset + OFF_DATA + dataLen),
    isFd,
    bitrateSwitch: isFd && (flags & CANFD_BRS) !== 0,
    errorStateIndicator: isFd && (flags & CANFD_ESI) !== 0,
  };
}

/** The first `count` records of the addon's receive buffer, oldest first (`decodeKernelRecord`). */
export function decodeKernelBatch(
  buf: Uint8Array,
  view: DataView,
  count: number,
  channel: CanChannel,
  fallbackTimestamp: number,
): CanFrame[] {
  const layout = CAN_RECORD_LAYOUT;
  const frames = new Array<CanFrame>(count);
  for (let i = 0; i < count; i++) {
    frames[i] = decodeKernelRecord(
      buf,
      view,
      i * layout.recordSize,
      layout,
      channel,
      fallbackTimestamp,
    );
  }
  return frames;
}
