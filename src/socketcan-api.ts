/**
 * The package's `can-multicast-bridge/socketcan` entry point: the raw SocketCAN socket as a
 * library, without the multicast side (issue 13 §2). Modules inside never import this file.
 */
export { CanSocket } from './socketcan/can-socket.js';
export type { CanSocketDeps, CanSocketOptions } from './socketcan/can-socket-options.js';
export type {
  CanSocketCounters,
  CanSocketEvents,
  CanSocketLike,
  CanSocketState,
  CanStateChange,
  CanTxDropReason,
} from './socketcan/can-socket-like.js';
export type { CanKernelFilter } from './socketcan/kernel-filter.js';
export { CanTxDropError } from './socketcan/can-tx-drop-error.js';
export type { CanChannel, CanFrame, FrameFault } from './frame.js';
export {
  CAN_MAX_DLEN,
  CANFD_LENGTHS,
  CANFD_MAX_DLEN,
  canFdPaddedLength,
  makeFrame,
  validateFrame,
} from './frame.js';
export { formatFrameString, parseFrameString } from './frame-string.js';
export type { CanIdFilter } from './can/can-filter.js';
export { parseCanFilter, parseCanFilters } from './can/can-filter.js';
export {
  CAN_EFF_FLAG,
  CAN_EFF_MASK,
  CAN_ERR_FLAG,
  CAN_ERR_MASK,
  CAN_INV_FILTER,
  CAN_RTR_FLAG,
  CAN_SFF_MASK,
  CANFD_BRS,
  CANFD_ESI,
} from './can/linux-can.js';
export { BridgeError, BridgeRangeError } from './errors.js';
export type { ErrorCode } from './error-catalogue.js';
