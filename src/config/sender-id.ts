/**
 * The instance's sender id: it travels in the python-can `channel` field of every datagram the
 * bridge sends (python-can keeps `channel` as sent), so other bridges can drop their own frames and
 * python-can programs see which bus a frame came from.
 */

/** The longest sender id accepted in the configuration, in characters. */
export const SENDER_ID_MAX_LENGTH = 255;

/**
 * The default sender id, `<host>/<iface>` (e.g. "gateway-1/can0"): stable across restarts, unique
 * per host name and CAN interface. The host name is lowercased (DNS names are case-insensitive,
 * RFC 4343) and loses a trailing dot; an empty one becomes "localhost". Two hosts that share a host
 * name on one group need explicit `sender.id`s.
 */
export function deriveSenderId(hostname: string, iface: string): string {
  const host = hostname.trim().toLowerCase().replace(/\.$/, '') || 'localhost';
  return `${host}/${iface}`;
}
