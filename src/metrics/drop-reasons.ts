/**
 * Every drop reason each direction can count, so `cmb_dropped_total` has a series (at 0) for each
 * from the start: `rate()` over a series that does not exist yet is "no data", not 0, and alerts on
 * it never fire for the first drop. Records keyed by the reason types, so a new reason that is not
 * listed here fails the type check.
 */
import type { RelayDropReason } from '../bridge/bridge.js';
import type { DecodeDropReason } from '../protocol/decode-datagram.js';

/** What the relay counts on the way to the group (bridge.ts #relayToMulticast). */
const TO_MULTICAST: Partial<Record<RelayDropReason, true>> = {
  disabled: true,
  filtered: true,
  error_frame: true,
  invalid: true,
  send_failed: true,
};

/** Every relay reason; those of the way to CAN are all but `send_failed`. */
const RELAY: Record<RelayDropReason, true> = {
  disabled: true,
  filtered: true,
  error_frame: true,
  invalid: true,
  own_sender_id: true,
  ignored_sender: true,
  source_not_allowed: true,
  fd_unsupported: true,
  send_failed: true,
  queue_full: true,
  stale: true,
  rejected: true,
  closed: true,
  bus_off: true,
};

/**
 * What the multicast bus drops before the relay sees a frame: decode faults, own echoes and
 * unicast datagrams from addresses that are no peer's.
 */
const MULTICAST_BUS: Record<DecodeDropReason | 'own_echo' | 'not_a_peer', true> = {
  too_large: true,
  not_a_map: true,
  truncated: true,
  trailing_bytes: true,
  key_not_string: true,
  unknown_key: true,
  wrong_type: true,
  invalid_utf8: true,
  malformed: true,
  timestamp_invalid: true,
  remote_and_error: true,
  remote_fd: true,
  id_negative: true,
  id_not_integer: true,
  ext_id_too_large: true,
  std_id_too_large: true,
  dlc_invalid: true,
  dlc_too_large: true,
  dlc_data_mismatch: true,
  remote_with_data: true,
  brs_without_fd: true,
  esi_without_fd: true,
  channel_invalid: true,
  own_echo: true,
  not_a_peer: true,
};

/** What the multicast bus drops on the way out: a full send queue, no destination (peers only). */
export const MULTICAST_BUS_OUTGOING: ReadonlySet<string> = new Set([
  'send_queue_full',
  'no_destination',
]);

/** The `reason` label values of `cmb_dropped_total` per `direction` label value. */
export const DROP_REASONS: Readonly<Record<'to_multicast' | 'to_can', readonly string[]>> = {
  to_multicast: Object.keys(TO_MULTICAST),
  to_can: [...Object.keys(RELAY).filter((r) => r !== 'send_failed'), ...Object.keys(MULTICAST_BUS)],
};
