/**
 * python-can's `udp_multicast` map keys, the only place with the snake_case wire names.
 * Source: python-can 4.1.0 can/interfaces/udp_multicast/utils.py `pack_message` (key order) and
 * can/message.py `Message.__init__` (the keyword arguments a receiver accepts).
 */

/** The 11 keys python-can writes, in the order it writes them. */
export const WIRE_KEYS = [
  'timestamp',
  'arbitration_id',
  'is_extended_id',
  'is_remote_frame',
  'is_error_frame',
  'channel',
  'dlc',
  'data',
  'is_fd',
  'bitrate_switch',
  'error_state_indicator',
] as const;

/**
 * Every key a python-can receiver accepts: the 11 above plus `is_rx`, which `Message.__init__`
 * also takes as a keyword (python-can ignores it for received frames, and so do we).
 */
export const ACCEPTED_KEYS = [...WIRE_KEYS, 'is_rx'] as const;

export type WireKey = (typeof ACCEPTED_KEYS)[number];

/** A python-can receiver reads at most this many bytes per datagram (bus.py `recvmsg(4096, ...)`). */
export const MAX_DATAGRAM_BYTES = 4096;
