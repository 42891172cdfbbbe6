/**
 * python-can's `udp_multicast` defaults (python-can 4.1 can/interfaces/udp_multicast/bus.py
 * `UdpMulticastBus.DEFAULT_GROUP_IPv6`, `DEFAULT_GROUP_IPv4`, `__init__(port=43113, hop_limit=1)`).
 */

/** python-can's IPv4 group, "administrative" scope (239.0.0.0/8). */
export const DEFAULT_GROUP_IPV4 = '239.74.163.2';

/** python-can's IPv6 group, site-local scope (ff15::/16); python-can's default channel. */
export const DEFAULT_GROUP_IPV6 = 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173';

/** python-can's UDP port. */
export const DEFAULT_PORT = 43113;

/** python-can's IPv4 TTL / IPv6 hop limit: the local link only. */
export const DEFAULT_HOP_LIMIT = 1;

/**
 * Receive buffer asked for, in bytes: 8 MiB holds about 10k datagrams (each costs ~768 bytes of
 * kernel memory), so bursts are not lost. The kernel caps it at `net.core.rmem_max`.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
