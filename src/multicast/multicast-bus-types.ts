/**
 * The public types of `MulticastBus` (multicast-bus.ts): its options, what it delivers, its
 * counters and events.
 */
import type { Logger } from 'pino';
import type { CanFrame } from '../frame.js';
import type { Timers } from '../net/timers.js';
import type { LinkReader } from '../net/interface-reader.js';
import type { IpFamily, NetworkInterfacesFn } from './multicast-address.js';
import type { AttachEchoFilter, ForceReceiveBuffer } from './native-socket-options.js';
import type { ResolveHost } from './peer-resolver.js';
import type { UdpSocketFactory } from './udp-socket.js';

/** The codec the bus encodes and decodes with (src/protocol/ by default). */
export interface MulticastCodec {
  /**
   * Writes the datagram of `frame` at `offset` of `target` and returns the offset past it; throws
   * (code ERR_INVALID_FRAME) for a frame python-can would reject, writing nothing.
   */
  encodeFrameInto(frame: CanFrame, target: Uint8Array, offset: number): number;
  /** Never throws. */
  decodeDatagram(buf: Uint8Array): { ok: true; frame: CanFrame } | { ok: false; reason: string };
}

export interface MulticastBusOptions {
  /**
   * Multicast group; its form picks IPv4 or IPv6. Default python-can's default,
   * `DEFAULT_GROUP_IPV6`. "none": no group, the unicast `peers` only (their family then: IPv6 when
   * a peer is an IPv6 address, else IPv4).
   */
  group?: string;
  /**
   * Unicast peers, `HOST[:PORT]` (peer-address.ts; the port defaults to `port`): every datagram
   * also goes to each, and unicast datagrams on the port are accepted from their addresses only
   * (peer-links.ts). Peers are of the group's family; names are resolved in it. Default none.
   */
  peers?: readonly string[];
  /** How often peer names are resolved again, ms; default 30000. */
  peerResolveMs?: number;
  /**
   * Unicast sources accepted besides the peers (the daemon passes its allowSources here); default
   * none. Datagrams from other sources are dropped as 'not_a_peer'.
   */
  acceptUnicastFrom?: (address: string) => boolean;
  /** UDP port, default 43113; 0 picks a free port (tests). */
  port?: number;
  /** Network interface to join and send on, by name; default: the kernel's choice, like python-can. */
  interface?: string | null;
  /** IPv4 TTL / IPv6 hop limit, 0..255, default 1. */
  hopLimit?: number;
  /**
   * Receive buffer to ask the kernel for, in bytes (capped by net.core.rmem_max); default 8 MiB;
   * 0 keeps the kernel's default (net.core.rmem_default).
   */
  receiveBufferBytes?: number;
  /**
   * Bind the receive socket to the group address so only this group's datagrams arrive (default:
   * true on Linux, where binding a multicast address filters by destination).
   */
  bindGroup?: boolean;
  /**
   * Frame timestamps: 'receive' replaces them with the local receive time, as a python-can
   * receiver does (bus.py `replace={"timestamp": timestamp}`); 'sender' keeps the sender's.
   * Either way the sender's is in `ReceivedFrame.senderTimestamp`. Default 'receive'.
   */
  timestamps?: 'receive' | 'sender';
  /**
   * IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP on the send socket: true (default) lets python-can
   * programs on this host hear our frames; false for hosts with no local listeners, where the
   * kernel then skips the loopback copy of every datagram.
   */
  loopback?: boolean;
  /** Frames each `frames()` iterator may hold before it drops new ones; default 10000. */
  iteratorHighWaterMark?: number;
  /**
   * How often to look whether the interface carrying the group went away or came back (and
   * re-join then), in milliseconds; 0 turns the watch off. Default 1000. Failed sends
   * (ENODEV, EADDRNOTAVAIL, ...) make it look at once.
   */
  interfaceCheckIntervalMs?: number;
}

/** The collaborators of a `MulticastBus`, each with a real default (tests inject fakes). */
export interface MulticastBusDeps {
  logger?: Logger;
  /** Creates the UDP sockets; default the addon's (native-udp-socket.ts). */
  socketFactory?: UdpSocketFactory;
  codec?: MulticastCodec;
  networkInterfaces?: NetworkInterfacesFn;
  /** The interface monitor's view of a link by name; default /sys/class/net/NAME. */
  readLink?: LinkReader;
  /** Monotonic time and timers (interface watch, rate limits, retries); default Node's, unref'd. */
  timers?: Timers;
  /** Seconds since the epoch, float: the receive timestamp of frames. */
  clock?: () => number;
  /**
   * Puts a kernel filter on the receive socket that drops our own looped-back datagrams before
   * they wake the process (see own-echo-filter.ts); throws when it cannot. Default: the socket's
   * SO_ATTACH_FILTER. null: drop own echoes in JavaScript only (which the bus always does as well).
   */
  attachEchoFilter?: AttachEchoFilter | null;
  /**
   * Raises the receive buffer past net.core.rmem_max when the kernel capped it (SO_RCVBUFFORCE,
   * allowed with CAP_NET_ADMIN, e.g. as root); throws when it cannot. Default: the socket's.
   * null: keep what SO_RCVBUF got.
   */
  forceReceiveBuffer?: ForceReceiveBuffer | null;
  /** Resolves the peers' DNS names; default getaddrinfo(3) (peer-resolver.ts `lookupHost`). */
  resolveHost?: ResolveHost;
}

/** Where a datagram came from. */
export interface DatagramSource {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** Datagram length in bytes. */
  size: number;
}

/** One frame received from the group. */
export interface ReceivedFrame {
  frame: CanFrame;
  /** The timestamp the sender wrote into the datagram, seconds. */
  senderTimestamp: number;
  source: DatagramSource;
}

/** A snapshot of the bus counters. */
export interface MulticastBusStats {
  /** Every datagram read from the receive socket. */
  datagrams: number;
  /** Frames delivered to listeners and iterators. */
  received: number;
  /** Datagrams the kernel accepted for sending: to the group and each copy to a peer. */
  sent: number;
  /** Sends that failed (the frame is lost for that destination). */
  sendErrors: number;
  /** Errors reported by the receive socket. */
  receiveErrors: number;
  /** Times the group was joined again on fresh sockets after the interface came back or changed. */
  rejoins: number;
  /** Datagrams the kernel dropped for the receive socket: its buffer was full (SO_RXQ_OVFL). */
  kernelDrops: number;
  /** recvmmsg batches read, and the most datagrams in one. */
  receiveBatches: number;
  receiveBatchMax: number;
  /** sendmmsg calls that sent something, and the most datagrams one sent. */
  sendBatches: number;
  sendBatchMax: number;
  /**
   * Datagrams not delivered, by reason: 'own_echo', the codec's decode drop reasons (undecodable
   * or invalid frames, 'too_large' for longer than 4096 bytes), 'iterator_overflow' (a frame a
   * slow `frames()` consumer missed) and 'send_queue_full' (a frame not sent: the kernel took
   * nothing for a whole send buffer), 'not_a_peer' (a unicast datagram from an address that is no
   * peer's).
   */
  dropped: Record<string, number>;
  /** Per unicast peer, in the order configured; empty without peers. */
  peers: PeerStats[];
}

/** The counters of one unicast peer. */
export interface PeerStats {
  /** The peer as configured. */
  peer: string;
  /** The address sent to now (a name's first address); null while a name is not resolved. */
  address: string | null;
  port: number;
  /** Datagrams the kernel accepted for this peer, and sends that failed. */
  sent: number;
  sendErrors: number;
  /** Unicast datagrams received from the peer's addresses. */
  received: number;
  /** When the last of them arrived, seconds since the epoch; null: never. */
  lastSeen: number | null;
}

/** What the bus ended up with after `start()`. */
export interface MulticastBusInfo {
  family: IpFamily;
  group: string;
  port: number;
  interface: string | null;
  hopLimit: number;
  /** Receive buffer asked for, bytes. */
  receiveBufferRequestedBytes: number;
  /** Receive buffer the kernel granted, bytes (Linux reports twice the usable size; this is halved back). */
  receiveBufferBytes: number;
  /** Local port of the send socket (datagrams from it are own echoes). */
  sendPort: number;
  bindAddress: string;
}

export interface MulticastBusEvents {
  frame: [ReceivedFrame];
  /** Only emitted by `destroy(err)`, and only when someone listens. */
  error: [Error];
  close: [];
}
