/**
 * The UDP socket the multicast endpoint works on: batched receive and send, the way the addon
 * does them (native/src/udp_socket.h). The default implementation is the addon's
 * (native-udp-socket.ts); tests inject an in-memory one (test/support/fake-udp-socket.ts).
 */
import type { DatagramSource } from './multicast-bus-types.js';

/** What a socket is opened as: the family, and SO_REUSEADDR (python-can 4.1 needs it to share the port). */
export interface UdpSocketOptions {
  type: 'udp4' | 'udp6';
  reuseAddr?: boolean;
  /**
   * false: IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off, so a socket bound to the wildcard receives
   * no group it did not join itself (the peers' unicast socket). Default true, the kernel's.
   */
  multicastAll?: boolean;
}

/** Where received datagrams go: one `datagram` call each, then one `batch` call per batch. */
export interface DatagramSink {
  /**
   * One datagram. `payload` is a view into the socket's receive buffer, valid only during the
   * call; `truncated` when the datagram was longer than python-can reads (4096 bytes).
   */
  datagram(payload: Uint8Array, source: DatagramSource, truncated: boolean): void;
  /** After the datagrams of one batch: how many, and the socket's cumulative kernel drop count. */
  batch(count: number, kernelDrops: number): void;
}

/** A destination for the sends of an unconnected socket. */
export interface Destination {
  address: string;
  port: number;
}

export interface UdpSocket {
  /** bind(2); throws a Node-style system error (EADDRINUSE, ...). */
  bind(address: string, port: number): void;
  /** connect(2): fixes the destination (and the route and source address, chosen now); throws. */
  connect(address: string, port: number): void;
  /** getsockname(2). */
  localAddress(): { address: string; port: number };
  /** IPv4: `iface` is the interface's address; IPv6: `::%name`; '' = the kernel's choice. */
  addMembership(group: string, iface: string): void;
  setMulticastInterface(iface: string): void;
  setMulticastTTL(ttl: number): void;
  setMulticastLoopback(flag: boolean): void;
  /** SO_RCVBUF (capped by net.core.rmem_max). */
  setRecvBufferSize(bytes: number): void;
  /** SO_RCVBUF as the kernel reports it: twice the usable size on Linux (socket(7)). */
  getRecvBufferSize(): number;
  /** SO_RCVBUFFORCE: past net.core.rmem_max; throws EPERM without CAP_NET_ADMIN. */
  forceReceiveBuffer(bytes: number): void;
  /** SO_ATTACH_FILTER with classic BPF `struct sock_filter` records; throws when refused. */
  attachFilter(program: Uint8Array): void;
  /** Starts delivering datagrams to `sink`; `onError` gets errors of the receive path. */
  startReading(sink: DatagramSink, onError: (err: NodeJS.ErrnoException) => void): void;
  /**
   * Sends datagrams `first .. first+count-1` of `data` (packed back to back from byte 0, datagram
   * i `lengths[i]` bytes) to `to`, or to the connected destination. Never blocks; returns how many
   * went out. When fewer, `sendErrno` is the negative errno of the first that did not.
   */
  send(
    data: Uint8Array,
    lengths: Uint32Array,
    first: number,
    count: number,
    to?: Destination,
  ): number;
  readonly sendErrno: number;
  /** One `onWritable` call when the socket can take more (after EAGAIN / ENOBUFS); null cancels. */
  waitWritable(onWritable: (() => void) | null): void;
  /** The kernel's cumulative count of datagrams it dropped for this socket (full receive buffer). */
  kernelDrops(): number;
  /** Idempotent. */
  close(): void;
}

/** Creates the sockets of a `MulticastBus`; the default is the addon's (`createNativeUdpSocket`). */
export type UdpSocketFactory = (options: UdpSocketOptions) => UdpSocket;
