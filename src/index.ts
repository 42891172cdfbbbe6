/**
 * The library's public API, the package's "." entry point (the SocketCAN socket alone is
 * `can-multicast-bridge/socketcan`, src/socketcan-api.ts); modules inside import each other
 * directly, never through this file.
 */
export type { CanChannel, CanFrame, FrameFault } from './frame.js';
export {
  CANFD_LENGTHS,
  canFdPaddedLength,
  isCanFdLength,
  makeFrame,
  validateFrame,
} from './frame.js';
export { formatFrameString, parseFrameString } from './frame-string.js';
export { BridgeError, BridgeRangeError } from './errors.js';
export { ERROR_CATALOGUE } from './error-catalogue.js';
export type { ErrorCatalogueEntry, ErrorCode } from './error-catalogue.js';
export { encodeFrame, encodeFrameInto, InvalidFrameError } from './protocol/encode-frame.js';
export type { EncodeFault } from './protocol/encode-frame.js';
export { decodeDatagram, isDecodeFault } from './protocol/decode-datagram.js';
export type { DecodeDropReason, DecodeFault, DecodeResult } from './protocol/decode-datagram.js';
export {
  DEFAULT_GROUP_IPV4,
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
} from './multicast/defaults.js';
export { MulticastBus } from './multicast/multicast-bus.js';
export type {
  MulticastBusInfo,
  MulticastBusOptions,
  MulticastBusStats,
  PeerStats,
  ReceivedFrame,
} from './multicast/multicast-bus-types.js';
export { MulticastError } from './multicast/multicast-error.js';
export { Bridge } from './bridge/bridge.js';
export type {
  BridgeOptions,
  BridgeStats,
  DirectionOptions,
  DirectionStats,
  MulticastEndpoint,
  RelayDropReason,
} from './bridge/bridge.js';
export type { MulticastBusEvents } from './multicast/multicast-bus-types.js';
export type {
  CanSocketCounters,
  CanSocketEvents,
  CanSocketLike,
  CanSocketState,
  CanStateChange,
  CanTxDropReason,
} from './socketcan/can-socket-like.js';
export type { CanIdFilter } from './can/can-filter.js';
export { parseCanFilter, parseCanFilters } from './can/can-filter.js';
