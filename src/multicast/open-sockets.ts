/**
 * Opening the two sockets of a `MulticastBus`: at start, and again when the interface carrying the
 * group comes back (src/multicast/interface-follower.ts). Each function closes what it created when it
 * fails, and throws a `MulticastError`.
 */
import { asError } from '../errors.js';
import type { Logger } from 'pino';
import type { ResolvedGroup } from './multicast-address.js';
import { MulticastError } from './multicast-error.js';
import type { MulticastErrorCode } from './multicast-error.js';
import type { ForceReceiveBuffer } from './native-socket-options.js';
import type { UdpSocket, UdpSocketFactory } from './udp-socket.js';

/** Creates sockets and tells the bus about each one at once, so a close meanwhile closes it too. */
export interface SocketOpener {
  factory: UdpSocketFactory;
  created(sock: UdpSocket): void;
  /** Closes a socket the opener created (idempotent). */
  close(sock: UdpSocket): void;
}

/** The wildcard address of a family. */
export function wildcardAddress(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0' : '::';
}

/**
 * The receive socket: SO_REUSEADDR like python-can 4.1 (bus.py `_create_socket`), bound to
 * `bindAddress` (on Linux the group, so only its datagrams arrive) and `port`, joined to the group.
 */
export function openReceiveSocket(
  opener: SocketOpener,
  g: ResolvedGroup,
  port: number,
  bindAddress: string,
): UdpSocket {
  const rx = opener.factory({ type: g.family === 4 ? 'udp4' : 'udp6', reuseAddr: true });
  opener.created(rx);
  try {
    bindSocket(rx, port, bindAddress);
    joinGroup(rx, g, false);
    return rx;
  } catch (err) {
    opener.close(rx);
    throw err;
  }
}

/**
 * Adds the group membership (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP) on the interface of `g`;
 * throws ERR_MULTICAST_JOIN. With `again`, EADDRINUSE (already a member there: the kernel kept
 * it, linux net/ipv4/igmp.c `ip_mc_join_group`) is success.
 */
export function joinGroup(rx: UdpSocket, g: ResolvedGroup, again: boolean): void {
  try {
    rx.addMembership(g.group, g.interfaceAddress ?? '');
  } catch (err) {
    if (again && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') return;
    throw new MulticastError(
      'ERR_MULTICAST_JOIN',
      `cannot join ${g.group} on ${g.interfaceName ?? 'the default interface'}`,
      err,
    );
  }
}

/**
 * The send socket: its own ephemeral port (so our looped-back datagrams are recognised), multicast
 * loop (on by default: python-can programs on this host must see us), the hop limit, and the
 * interface.
 */
export function openSendSocket(
  opener: SocketOpener,
  g: ResolvedGroup,
  hopLimit: number,
  loopback: boolean,
): UdpSocket {
  const tx = opener.factory({ type: g.family === 4 ? 'udp4' : 'udp6' });
  opener.created(tx);
  try {
    bindSocket(tx, 0, wildcardAddress(g.family));
    socketOption('setMulticastTTL', () => tx.setMulticastTTL(hopLimit));
    socketOption('setMulticastLoopback', () => tx.setMulticastLoopback(loopback));
    const ifAddr = g.interfaceAddress;
    if (ifAddr !== null) {
      socketOption('setMulticastInterface', () => tx.setMulticastInterface(ifAddr));
    }
    return tx;
  } catch (err) {
    opener.close(tx);
    throw err;
  }
}

/**
 * connect(2)s the send socket to group:port, after IP_MULTICAST_IF / IPV6_MULTICAST_IF are set:
 * the kernel routes the group and picks the source address once (linux net/ipv4/datagram.c
 * `__ip4_datagram_connect` takes `inet->mc_index`/`mc_addr`; net/ipv6/datagram.c
 * `__ip6_datagram_connect` binds a link-local scoped group to its `%scope` interface and uses
 * `np->mcast_oif` otherwise), and sends without an address skip the per-datagram route lookup.
 * The local port stays (the socket is bound), so own echoes are still recognised by it. Returns
 * the error when it fails (no route to the group yet: ENETUNREACH), then the caller sends with
 * the address.
 */
export function connectSocket(tx: UdpSocket, port: number, address: string): Error | null {
  try {
    tx.connect(address, port);
    return null;
  } catch (err) {
    return asError(err);
  }
}

/**
 * Asks for the receive buffer; Linux silently caps SO_RCVBUF at net.core.rmem_max (and doubles it
 * for bookkeeping, socket(7)), so the granted size is read back. Halves the request on error.
 * Returns the granted size in bytes (0 when it cannot be read). A request of 0 sets nothing: the
 * kernel's default stays (SO_RCVBUF 0 would ask for its minimum instead, socket(7)).
 */
export function setReceiveBuffer(
  rx: UdpSocket,
  requested: number,
  log: Logger,
  warnIfCapped: boolean,
  force: ForceReceiveBuffer | null = null,
): number {
  if (requested === 0) return Math.max(0, grantedReceiveBuffer(rx));
  let size = requested;
  for (;;) {
    try {
      rx.setRecvBufferSize(size);
      break;
    } catch (err) {
      if (size <= 65536) {
        log.warn({ err, size }, 'cannot set the receive buffer size');
        break;
      }
      size = Math.floor(size / 2);
    }
  }
  let granted = grantedReceiveBuffer(rx);
  if (granted < 0) return 0;
  if (granted < requested && force !== null) {
    // Capped by net.core.rmem_max: SO_RCVBUFFORCE goes past it where allowed (CAP_NET_ADMIN).
    try {
      force(rx, requested);
      granted = Math.max(granted, grantedReceiveBuffer(rx));
    } catch (err) {
      log.debug({ err, requested }, 'SO_RCVBUFFORCE not allowed');
    }
  }
  if (granted < requested && warnIfCapped) {
    log.warn(
      { requested, granted },
      'receive buffer smaller than requested: raise net.core.rmem_max to avoid loss in bursts',
    );
  }
  return granted;
}

/** SO_RCVBUF as the kernel reports it, halved back on Linux (socket(7) doubles it); -1 if unknown. */
function grantedReceiveBuffer(rx: UdpSocket): number {
  try {
    const granted = rx.getRecvBufferSize();
    return process.platform === 'linux' ? Math.floor(granted / 2) : granted;
  } catch {
    return -1;
  }
}

/** bind(2), a failure as ERR_MULTICAST_BIND. */
export function bindSocket(sock: UdpSocket, port: number, address: string): void {
  try {
    sock.bind(address, port);
  } catch (err) {
    throw new MulticastError('ERR_MULTICAST_BIND', `cannot bind ${address} port ${port}`, err);
  }
}

/** Runs one socket option call, turning a throw into ERR_MULTICAST_SOCKET. */
function socketOption(
  name: string,
  fn: () => unknown,
  code: MulticastErrorCode = 'ERR_MULTICAST_SOCKET',
): void {
  try {
    fn();
  } catch (err) {
    throw new MulticastError(code, `${name} failed`, err);
  }
}
