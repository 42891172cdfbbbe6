/**
 * The unicast side of `MulticastBus` (multicast.peers, issue 13 section 1): where multicast does
 * not reach (VPNs such as WireGuard, routed and cloud networks), every datagram also goes by
 * unicast to each peer, and unicast datagrams on the port are taken from peers only.
 *
 * - Sending: each peer has its own unconnected socket (ephemeral port, the kernel's default unicast
 *   TTL, not the group's hop limit) and its own send queue, so one sendmmsg(2) per peer per
 *   event-loop turn carries the same batch as the group's, and a peer that blocks (EAGAIN,
 *   ENOBUFS) holds up neither the group nor the other peers. A DNS name goes to its first address.
 * - Receiving: one socket bound to the wildcard address on the bus's port, sharing it with the
 *   group socket and python-can programs through SO_REUSEADDR, with IP_MULTICAST_ALL
 *   (IPV6_MULTICAST_ALL) off. On by default, it makes a wildcard socket that joined nothing get
 *   every group datagram any socket of the host joined on the port (net/ipv4/igmp.c
 *   `ip_mc_sf_allow` returns `inet->mc_all`; net/ipv6/mcast.c `inet6_mc_check` likewise), i.e.
 *   each of the group's frames a second time. Off, nothing reaches the socket but unicast, so its
 *   kernel drop count (SO_RXQ_OVFL) is overflow only and joins the bus's `kernelDrops` (a socket
 *   filter would have counted the multicast it dropped there too). Linux hands a unicast datagram to one socket only of those
 *   sharing a port (net/ipv4/udp.c `udp4_lib_lookup2` picks the best-scoring socket; SO_REUSEADDR
 *   without SO_REUSEPORT does not fan out): on a host where a python-can program is bound to the
 *   same port, one of the two gets each unicast datagram, not both.
 * - A datagram from an address that is no peer's (and not in the bus's extra accept list, the
 *   daemon's allowSources) is counted as 'not_a_peer' and dropped before it is decoded.
 */
import type { Logger } from 'pino';
import type { Timers } from '../net/timers.js';
import type { DatagramSource } from './multicast-bus-types.js';
import type { PeerStats } from './multicast-bus-types.js';
import type { ForceReceiveBuffer } from './native-socket-options.js';
import { bindSocket, setReceiveBuffer, wildcardAddress } from './open-sockets.js';
import { MulticastError } from './multicast-error.js';
import type { PeerAddress } from './peer-address.js';
import { PeerResolver } from './peer-resolver.js';
import type { ResolveHost } from './peer-resolver.js';
import { SendQueue } from './send-queue.js';
import type { SendDone } from './send-queue.js';
import type { DatagramSink, UdpSocket, UdpSocketFactory } from './udp-socket.js';

export interface PeerLinksConfig {
  peers: readonly PeerAddress[];
  family: 4 | 6;
  /** The port of peers written without one. */
  defaultPort: number;
  resolveMs: number;
  receiveBufferRequestedBytes: number;
}

export interface PeerLinksDeps {
  factory: UdpSocketFactory;
  timers: Timers;
  resolveHost: ResolveHost;
  forceReceiveBuffer: ForceReceiveBuffer | null;
  /** Seconds since the epoch (a peer's last-seen time). */
  clock: () => number;
  log: Logger;
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
  /** Where accepted unicast datagrams go (the bus's decoding). */
  sink: DatagramSink;
  /** Sources accepted besides the peers' addresses (the daemon's allowSources); default none. */
  alsoAccept: ((address: string) => boolean) | null;
  /** A datagram from an address that is not a peer's was dropped. */
  rejected(source: DatagramSource): void;
  onReceiveError(err: Error): void;
  /** `count` datagrams went to a peer; one failed (it is gone). */
  onSent(count: number): void;
  onSendError(peer: string, err: NodeJS.ErrnoException): void;
}

interface PeerLink {
  readonly peer: PeerAddress;
  readonly port: number;
  addresses: readonly string[];
  socket: UdpSocket | null;
  readonly queue: SendQueue;
  readonly stats: PeerStats;
}

export class PeerLinks {
  readonly #config: PeerLinksConfig;
  readonly #deps: PeerLinksDeps;
  readonly #links: PeerLink[];
  readonly #resolver: PeerResolver;
  /** Every peer address (canonical text) to the first peer that has it. */
  #byAddress = new Map<string, PeerLink>();
  #rx: UdpSocket | null = null;
  /** Kernel drops of unicast sockets closed before the current one. */
  #closedDrops = 0;
  #open = false;

  constructor(config: PeerLinksConfig, deps: PeerLinksDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#links = config.peers.map((peer) => this.#link(peer));
    this.#resolver = new PeerResolver(
      this.#links.filter((l) => l.peer.kind === 'name').map((l) => l.peer.host),
      config.family,
      config.resolveMs,
      {
        resolveHost: deps.resolveHost,
        timers: deps.timers,
        changed: (name, addresses) => this.#resolved(name, addresses),
        failed: (name, err) =>
          deps.warn(`resolve:${name}`, { peer: name, err }, 'peer name not resolved'),
      },
    );
  }

  #link(peer: PeerAddress): PeerLink {
    const port = peer.port ?? this.#config.defaultPort;
    const stats: PeerStats = {
      peer: peer.text,
      address: null,
      port,
      sent: 0,
      sendErrors: 0,
      received: 0,
      lastSeen: null,
    };
    const queue = new SendQueue({
      encodeInto: () => {
        throw new MulticastError('ERR_INVALID_OPTION', 'peer queues take encoded datagrams');
      },
      onSent: (count) => {
        stats.sent += count;
        this.#deps.onSent(count);
      },
      onError: (err) => {
        stats.sendErrors++;
        this.#deps.onSendError(peer.text, err);
      },
      after: (ms, fn) => this.#deps.timers.after(ms, fn),
    });
    const addresses = peer.kind === 'name' ? [] : [peer.host];
    return { peer, port, addresses, socket: null, queue, stats };
  }

  /**
   * Opens the unicast receive socket on `port` and a send socket per peer; throws a
   * MulticastError (ERR_MULTICAST_BIND, ERR_MULTICAST_SOCKET), the caller closes what is open.
   */
  open(port: number): void {
    const type = this.#config.family === 4 ? 'udp4' : 'udp6';
    const wildcard = wildcardAddress(this.#config.family);
    this.#open = true;
    const rx = this.#deps.factory({ type, reuseAddr: true, multicastAll: false });
    this.#rx = rx;
    bindSocket(rx, port, wildcard);
    setReceiveBuffer(
      rx,
      this.#config.receiveBufferRequestedBytes,
      this.#deps.log,
      false,
      this.#deps.forceReceiveBuffer,
    );
    for (const link of this.#links) {
      const tx = this.#deps.factory({ type });
      link.socket = tx;
      bindSocket(tx, 0, wildcard);
    }
    this.#reindex();
    rx.startReading(this.#sink, (err) => {
      if (this.#open) this.#deps.onReceiveError(err);
    });
  }

  /** Resolves the peers' names once, then every `resolveMs`. */
  resolve(): Promise<void> {
    return this.#resolver.start();
  }

  /** The port the unicast socket is bound to; -1 before `open`. */
  get port(): number {
    try {
      return this.#rx?.localAddress().port ?? -1;
    } catch {
      return -1;
    }
  }

  /** Peers with an address now: how many destinations a datagram has. */
  reachable(): number {
    let n = 0;
    for (const link of this.#links) if (link.addresses.length > 0) n++;
    return n;
  }

  /**
   * Queues `datagram` for every peer with an address. A full queue (that peer's socket took
   * nothing for a whole buffer) fails that copy with ERR_MULTICAST_SEND through `done` and
   * `onFull`; the other peers still get theirs.
   */
  push(datagram: Uint8Array, done: SendDone | null, onFull: (peer: string) => void): void {
    for (const link of this.#links) {
      if (link.addresses.length === 0) continue;
      if (link.queue.pushDatagram(datagram, done)) continue;
      link.stats.sendErrors++;
      onFull(link.peer.text);
      done?.(
        new MulticastError('ERR_MULTICAST_SEND', `the send queue of ${link.peer.text} is full`),
      );
    }
  }

  /** Datagrams the kernel dropped from the unicast socket's full receive buffer, in all. */
  kernelDrops(): number {
    return this.#closedDrops + (this.#rx?.kernelDrops() ?? 0);
  }

  /** A copy of the per-peer counters. */
  stats(): PeerStats[] {
    return this.#links.map((l) => ({ ...l.stats }));
  }

  flush(): void {
    for (const link of this.#links) link.queue.flush();
  }

  async drained(): Promise<void> {
    await Promise.all(this.#links.map((l) => l.queue.drained()));
  }

  /** Closes every socket and abandons what is queued (each waiting `done` gets `err`). Idempotent. */
  close(err: NodeJS.ErrnoException): void {
    this.#open = false;
    this.#resolver.close();
    for (const link of this.#links) {
      link.queue.clear(err);
      link.queue.setTarget(null);
      if (link.socket !== null) safeClose(link.socket);
      link.socket = null;
    }
    if (this.#rx !== null) {
      this.#closedDrops += this.#rx.kernelDrops();
      safeClose(this.#rx);
    }
    this.#rx = null;
  }

  readonly #sink: DatagramSink = {
    datagram: (payload, source, truncated) => {
      const link = this.#byAddress.get(source.address);
      if (link === undefined && !(this.#deps.alsoAccept?.(source.address) ?? false)) {
        this.#deps.rejected(source);
        return;
      }
      if (link !== undefined) {
        link.stats.received++;
        link.stats.lastSeen = this.#deps.clock();
      }
      this.#deps.sink.datagram(payload, source, truncated);
    },
    batch: (count, kernelDrops) => this.#deps.sink.batch(count, kernelDrops),
  };

  #resolved(name: string, addresses: string[]): void {
    for (const link of this.#links) {
      if (link.peer.kind !== 'name' || link.peer.host !== name) continue;
      const before = link.addresses[0] ?? null;
      link.addresses = addresses;
      this.#deps.log.info({ peer: link.peer.text, addresses, before }, 'peer address changed');
    }
    this.#reindex();
  }

  /** Points each peer's queue at its current address and rebuilds the receive lookup. */
  #reindex(): void {
    const byAddress = new Map<string, PeerLink>();
    for (const link of this.#links) {
      for (const address of link.addresses)
        if (!byAddress.has(address)) byAddress.set(address, link);
      const first = link.addresses[0];
      link.stats.address = first ?? null;
      if (!this.#open || link.socket === null) continue;
      link.queue.setTarget(
        first === undefined
          ? null
          : { socket: link.socket, to: { address: first, port: link.port } },
      );
    }
    this.#byAddress = byAddress;
  }
}

function safeClose(sock: UdpSocket): void {
  try {
    sock.close();
  } catch {
    // Already closed.
  }
}
