/**
 * Checking a `MulticastBus`'s options at `start()` (they may come from a library user, not only
 * from the validated config), and what its unicast peers work out to: parsed, of one family, each
 * with a port.
 */
import { isIPv4 } from 'node:net';
import {
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
  DEFAULT_RECEIVE_BUFFER_BYTES,
} from './defaults.js';
import type { MulticastBusInfo, MulticastBusOptions } from './multicast-bus-types.js';
import { wildcardAddress } from './open-sockets.js';
import { MulticastError } from './multicast-error.js';
import { parsePeer } from './peer-address.js';
import type { PeerAddress } from './peer-address.js';

export const DEFAULT_INTERFACE_CHECK_INTERVAL_MS = 1000;
export const DEFAULT_PEER_RESOLVE_MS = 30_000;

/** The group value that means "unicast peers only". */
export const NO_GROUP = 'none';

/** Throws ERR_INVALID_OPTION for an unusable port, hop limit, buffer size or interval. */
export function validateBusOptions(o: MulticastBusOptions): void {
  const port = o.port ?? DEFAULT_PORT;
  const hopLimit = o.hopLimit ?? DEFAULT_HOP_LIMIT;
  const receiveBuffer = o.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
  const checkMs = o.interfaceCheckIntervalMs ?? DEFAULT_INTERFACE_CHECK_INTERVAL_MS;
  const resolveMs = o.peerResolveMs ?? DEFAULT_PEER_RESOLVE_MS;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MulticastError('ERR_INVALID_OPTION', `port must be 0..65535, got ${port}`);
  }
  if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 255) {
    throw new MulticastError('ERR_INVALID_OPTION', `hop limit must be 0..255, got ${hopLimit}`);
  }
  if (!Number.isInteger(receiveBuffer) || receiveBuffer < 0) {
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      'receive buffer size must be an integer >= 0 (0: the kernel default)',
    );
  }
  if (!Number.isInteger(checkMs) || checkMs < 0) {
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      'interface check interval must be a non-negative integer',
    );
  }
  if (!Number.isInteger(resolveMs) || resolveMs <= 0) {
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      'peer resolve interval must be a positive integer',
    );
  }
}

/** The unicast peers a bus serves. */
export interface PeerPlan {
  peers: PeerAddress[];
  family: 4 | 6;
  defaultPort: number;
}

/**
 * Parses the peers and checks they fit the group: one family (a socket is IPv4 or IPv6), a port
 * for each, and at least one when the group is "none". Null when there are none. Throws
 * ERR_INVALID_OPTION, with the syntax error as the cause.
 */
export function planPeers(o: MulticastBusOptions): PeerPlan | null {
  const group = o.group ?? DEFAULT_GROUP_IPV6;
  const texts = o.peers ?? [];
  if (texts.length === 0) {
    if (group === NO_GROUP) {
      throw new MulticastError('ERR_INVALID_OPTION', 'group "none" needs at least one peer');
    }
    return null;
  }
  if (o.bindGroup === false && group !== NO_GROUP) {
    // A group socket on the wildcard address would take unicast too, from anyone, past the
    // peer check: only one socket of those sharing the port gets each unicast datagram.
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      'peers need the group socket bound to the group',
    );
  }
  const peers = texts.map((text) => {
    try {
      return parsePeer(text);
    } catch (err) {
      throw new MulticastError('ERR_INVALID_OPTION', (err as Error).message, err);
    }
  });
  const family: 4 | 6 =
    group === NO_GROUP ? (peers.some((p) => p.kind === 6) ? 6 : 4) : isIPv4(group) ? 4 : 6;
  const other = peers.find((p) => p.kind !== 'name' && p.kind !== family);
  if (other !== undefined) {
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      group === NO_GROUP
        ? `peers must be of one IP family: ${other.text} is IPv${other.kind}, others IPv${family}`
        : `peer ${other.text} is IPv${other.kind} but the group ${group} is IPv${family}`,
    );
  }
  const defaultPort = o.port ?? DEFAULT_PORT;
  const portless = peers.find((p) => p.port === null);
  if (defaultPort === 0 && portless !== undefined) {
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      `peer ${portless.text} needs a port when the bus port is 0`,
    );
  }
  return { peers, family, defaultPort };
}

/** `info` of a peers-only bus (group "none"): the unicast socket's port and family. */
export function grouplessInfo(
  o: MulticastBusOptions,
  family: 4 | 6,
  port: number,
): MulticastBusInfo {
  return {
    family,
    group: NO_GROUP,
    port,
    interface: null,
    hopLimit: o.hopLimit ?? DEFAULT_HOP_LIMIT,
    receiveBufferRequestedBytes: o.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    receiveBufferBytes: 0,
    sendPort: -1,
    bindAddress: wildcardAddress(family),
  };
}
