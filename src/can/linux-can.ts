/**
 * The constants of <linux/can.h> the project uses, spelled as there, and the `can_id` word of a
 * frame. The one place for them: the kernel frame layout (socketcan/), the filters (can-filter.ts),
 * the frame syntax (frame-string.ts) and the daemon all take them from here.
 */
import type { CanFrame } from '../frame.js';

/** linux/can.h: `CAN_SFF_MASK`, the largest 11-bit id. */
export const CAN_SFF_MASK = 0x7ff;
/** linux/can.h: `CAN_EFF_MASK`, the largest 29-bit id. */
export const CAN_EFF_MASK = 0x1fffffff;
/** linux/can/raw.h: `CAN_RAW_FILTER_MAX`, the most filters one CAN socket takes. */
export const CAN_RAW_FILTER_MAX = 512;

/** linux/can.h: extended frame format (29-bit id) flag in `can_id`. */
export const CAN_EFF_FLAG = 0x80000000;
/** linux/can.h: remote transmission request flag in `can_id`. */
export const CAN_RTR_FLAG = 0x40000000;
/** linux/can.h: error message frame flag in `can_id`. */
export const CAN_ERR_FLAG = 0x20000000;
/** linux/can.h: the error class bits of an error frame's `can_id` (omits EFF, RTR, ERR flags). */
export const CAN_ERR_MASK = 0x1fffffff;
/** linux/can.h: in `struct can_filter.can_id`, inverts the filter (the same bit as `CAN_ERR_FLAG`). */
export const CAN_INV_FILTER = 0x20000000;
/** linux/can.h: `sizeof(struct can_frame)`. */
export const CAN_MTU = 16;
/** linux/can.h: `sizeof(struct canfd_frame)`. */
export const CANFD_MTU = 72;
/** linux/can.h: bit rate switch (second bitrate for payload data). */
export const CANFD_BRS = 0x01;
/** linux/can.h: error state indicator of the transmitting node. */
export const CANFD_ESI = 0x02;
/** linux/can.h: marks a CAN FD frame in `struct canfd_frame.flags` (set by kernels >= 6.2). */
export const CANFD_FDF = 0x04;

/**
 * The `can_id` word of a frame: the id plus EFF/RTR/ERR flags, as python-can's socketcan
 * `build_can_frame` writes it and as kernel filters (`struct can_filter`) match it.
 */
export function kernelCanId(
  frame: Pick<CanFrame, 'arbitrationId' | 'isExtendedId' | 'isRemoteFrame' | 'isErrorFrame'>,
): number {
  let id: number;
  if (frame.isErrorFrame) {
    id = (frame.arbitrationId & CAN_ERR_MASK) | CAN_ERR_FLAG;
    if (frame.isExtendedId) id |= CAN_EFF_FLAG;
  } else if (frame.isExtendedId) {
    id = (frame.arbitrationId & CAN_EFF_MASK) | CAN_EFF_FLAG;
  } else {
    id = frame.arbitrationId & CAN_SFF_MASK;
  }
  if (frame.isRemoteFrame) id |= CAN_RTR_FLAG;
  return id >>> 0;
}
