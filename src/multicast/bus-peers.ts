/**
 * How a `MulticastBus` wires its unicast peers (peer-links.ts): the collaborators' defaults, and
 * the bus's counters and rate-limited warnings for what happens on the peers' sockets.
 */
import type { Logger } from 'pino';
import type { Timers } from '../net/timers.js';
import type { PeerPlan } from './bus-options.js';
import { DEFAULT_PEER_RESOLVE_MS } from './bus-options.js';
import { DEFAULT_RECEIVE_BUFFER_BYTES } from './defaults.js';
import type {
  MulticastBusDeps,
  MulticastBusOptions,
  MulticastBusStats,
} from './multicast-bus-types.js';
import { forceNativeReceiveBuffer } from './native-socket-options.js';
import { createNativeUdpSocket } from './native-udp-socket.js';
import { PeerLinks } from './peer-links.js';
import { lookupHost } from './peer-resolver.js';
import type { DatagramSink } from './udp-socket.js';

/** What the bus lends its peers. */
export interface BusPeerHooks {
  timers: Timers;
  clock: () => number;
  log: Logger;
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
  sink: DatagramSink;
  /** The bus's counters, updated in place. */
  stats: MulticastBusStats;
  drop(reason: string): void;
  isOpen(): boolean;
}

export function createBusPeers(
  plan: PeerPlan,
  options: MulticastBusOptions,
  deps: MulticastBusDeps,
  bus: BusPeerHooks,
): PeerLinks {
  const stats = bus.stats;
  return new PeerLinks(
    {
      ...plan,
      resolveMs: options.peerResolveMs ?? DEFAULT_PEER_RESOLVE_MS,
      receiveBufferRequestedBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    },
    {
      factory: deps.socketFactory ?? createNativeUdpSocket,
      timers: bus.timers,
      resolveHost: deps.resolveHost ?? lookupHost,
      forceReceiveBuffer:
        deps.forceReceiveBuffer === undefined ? forceNativeReceiveBuffer : deps.forceReceiveBuffer,
      clock: bus.clock,
      log: bus.log,
      warn: bus.warn,
      sink: bus.sink,
      alsoAccept: options.acceptUnicastFrom ?? null,
      rejected: (source) => {
        stats.datagrams++;
        bus.drop('not_a_peer');
        if (bus.log.isLevelEnabled('debug')) {
          bus.log.debug(
            { reason: 'not_a_peer', from: source.address, fromPort: source.port },
            'datagram dropped',
          );
        }
      },
      onReceiveError: (err) => {
        if (!bus.isOpen()) return;
        stats.receiveErrors++;
        bus.warn('peer-receive', { err }, 'unicast receive socket error');
      },
      onSent: (count) => (stats.sent += count),
      onSendError: (peer, err) => {
        stats.sendErrors++;
        bus.warn(`peer-send:${peer}`, { peer, err }, 'unicast send to peer failed');
      },
    },
  );
}
