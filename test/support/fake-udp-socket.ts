/**
 * An in-memory `UdpSocket` (src/multicast/udp-socket.ts) for unit tests of the multicast bus, at
 * the level of the addon's socket (native/src/udp_socket.h): records every call, lets the test
 * inject datagrams and kernel drops, and make calls fail as the kernel would.
 */
import type { DatagramSource } from '../../src/multicast/multicast-bus-types.js';
import { MAX_DATAGRAM_BYTES } from '../../src/protocol/wire-keys.js';
import type {
  DatagramSink,
  Destination,
  UdpSocket,
  UdpSocketOptions,
} from '../../src/multicast/udp-socket.js';

/** A Node-style system error, as the addon throws them. */
export function systemError(code: string, errno: number, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  return err;
}

function codeError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

export interface SentDatagram {
  msg: Uint8Array;
  /** The destination: the connected one when `send` was called without. */
  port: number;
  address: string;
  /** True when sent without a destination, on a connected socket. */
  connected: boolean;
}

export class FakeUdpSocket implements UdpSocket {
  readonly options: UdpSocketOptions;
  bound: { port: number; address: string } | null = null;
  closed = false;
  memberships: [string, string | undefined][] = [];
  multicastInterface: string | null = null;
  ttl: number | null = null;
  loopback: boolean | null = null;
  recvBufferSize = 212992;
  /** Linux caps SO_RCVBUF at net.core.rmem_max (and reports twice the value, socket(7)). */
  rmemMax = 4 * 1024 * 1024;
  /** Programs attached with `attachFilter`. */
  filters: Uint8Array[] = [];
  /** Set to make attachFilter / forceReceiveBuffer fail with this error. */
  filterError: Error | null = null;
  forceError: Error | null = systemError('EPERM', -1, 'setsockopt');
  sent: SentDatagram[] = [];
  /** sendmmsg calls that sent something, with how many each sent. */
  sendBatches: number[] = [];
  /** Where `connect` pointed the socket, null when not connected. */
  connectedTo: { port: number; address: string } | null = null;
  /** Set to make connect fail with this error. */
  connectError: Error | null = null;
  /** Set to make the next bind fail with this error. */
  bindError: Error | null = null;
  membershipError: Error | null = null;
  ttlError: Error | null = null;
  /** Set to make every datagram fail with this error (the datagram is lost). */
  sendError: NodeJS.ErrnoException | null = null;
  /** Set to make only the first datagram of the next send call fail with this error. */
  sendErrorOnce: NodeJS.ErrnoException | null = null;
  /** When true, sends fail with EAGAIN until `completeSends()` makes the socket writable. */
  holdSends = false;
  /** The kernel's drop count for this socket. */
  drops = 0;
  sendErrno = 0;
  #sink: DatagramSink | null = null;
  #onError: ((err: NodeJS.ErrnoException) => void) | null = null;
  #onWritable: (() => void) | null = null;
  #port = 0;

  constructor(options: UdpSocketOptions, port: number) {
    this.options = options;
    this.#port = port;
  }

  #check(): void {
    if (this.closed) throw codeError('ERR_SOCKET_CLOSED', 'UDP socket is closed');
  }

  bind(address: string, port: number): void {
    this.#check();
    this.bound = { port, address };
    if (this.bindError !== null) throw this.bindError;
    if (port !== 0) this.#port = port;
  }

  localAddress(): { address: string; port: number } {
    return { address: this.bound?.address ?? '0.0.0.0', port: this.#port };
  }

  addMembership(group: string, iface: string): void {
    this.#check();
    if (this.membershipError !== null) throw this.membershipError;
    const i = iface === '' ? undefined : iface;
    // Linux: the same group on the same interface twice is EADDRINUSE (ip_mc_join_group).
    if (this.memberships.some(([g, m]) => g === group && m === i)) {
      throw systemError('EADDRINUSE', -98, 'addMembership');
    }
    this.memberships.push([group, i]);
  }

  setMulticastInterface(iface: string): void {
    this.multicastInterface = iface;
  }

  setMulticastTTL(ttl: number): void {
    if (this.ttlError !== null) throw this.ttlError;
    this.ttl = ttl;
  }

  setMulticastLoopback(flag: boolean): void {
    this.loopback = flag;
  }

  setRecvBufferSize(size: number): void {
    this.recvBufferSize = 2 * Math.min(size, this.rmemMax);
  }

  getRecvBufferSize(): number {
    return this.recvBufferSize;
  }

  forceReceiveBuffer(bytes: number): void {
    if (this.forceError !== null) throw this.forceError;
    this.recvBufferSize = 2 * bytes;
  }

  attachFilter(program: Uint8Array): void {
    if (this.filterError !== null) throw this.filterError;
    this.filters.push(program);
  }

  connect(address: string, port: number): void {
    if (this.connectError !== null) throw this.connectError;
    this.connectedTo = { port, address };
  }

  startReading(sink: DatagramSink, onError: (err: NodeJS.ErrnoException) => void): void {
    this.#sink = sink;
    this.#onError = onError;
  }

  send(
    data: Uint8Array,
    lengths: Uint32Array,
    first: number,
    count: number,
    to?: Destination,
  ): number {
    this.#check();
    // As the addon: without a destination the socket must be connected.
    if (to === undefined && this.connectedTo === null) {
      this.sendErrno = -89; // EDESTADDRREQ
      return 0;
    }
    this.sendErrno = 0;
    if (this.holdSends) {
      this.sendErrno = -11; // EAGAIN
      return 0;
    }
    const fail = this.sendError ?? this.sendErrorOnce;
    if (fail !== null) {
      this.sendErrorOnce = null;
      this.sendErrno = fail.errno ?? -5;
      return 0;
    }
    let offset = 0;
    for (let i = 0; i < first; i++) offset += lengths[i]!;
    for (let i = first; i < first + count; i++) {
      const msg = data.slice(offset, offset + lengths[i]!);
      offset += lengths[i]!;
      this.sent.push(
        to === undefined
          ? { msg, ...this.connectedTo!, connected: true }
          : { msg, port: to.port, address: to.address, connected: false },
      );
    }
    if (count > 0) this.sendBatches.push(count);
    return count;
  }

  waitWritable(onWritable: (() => void) | null): void {
    this.#onWritable = onWritable;
  }

  /** Makes a socket held by `holdSends` writable again. */
  completeSends(): void {
    this.holdSends = false;
    const fn = this.#onWritable;
    this.#onWritable = null;
    fn?.();
  }

  kernelDrops(): number {
    return this.drops;
  }

  close(): void {
    this.closed = true;
    this.#sink = null;
  }

  /** Delivers datagrams as one received batch (each as the kernel would: at most 4096 bytes read). */
  receiveBatch(datagrams: { msg: Uint8Array; from: { address: string; port: number } }[]): void {
    const sink = this.#sink;
    if (sink === null) return;
    for (const { msg, from } of datagrams) {
      const source: DatagramSource = {
        address: from.address,
        port: from.port,
        family: from.address.includes(':') ? 'IPv6' : 'IPv4',
        size: Math.min(msg.length, MAX_DATAGRAM_BYTES + 1),
      };
      sink.datagram(
        msg.subarray(0, MAX_DATAGRAM_BYTES + 1),
        source,
        msg.length > MAX_DATAGRAM_BYTES,
      );
    }
    sink.batch(datagrams.length, this.drops);
  }

  /** Delivers one datagram as if the kernel had received it. */
  receive(msg: Uint8Array, from: { address: string; port: number }): void {
    this.receiveBatch([{ msg, from }]);
  }

  /** Reports an error of the receive path, as the addon does. */
  fail(err: NodeJS.ErrnoException): void {
    this.#onError?.(err);
  }
}

/** A factory handing out fake sockets; `sockets[0]` is the bus's receive socket, `[1]` its send socket. */
export function fakeSocketFactory(): {
  factory: (options: UdpSocketOptions) => FakeUdpSocket;
  sockets: FakeUdpSocket[];
} {
  const sockets: FakeUdpSocket[] = [];
  let nextEphemeral = 50000;
  const factory = (options: UdpSocketOptions): FakeUdpSocket => {
    const sock = new FakeUdpSocket(options, nextEphemeral++);
    sockets.push(sock);
    return sock;
  };
  return { factory, sockets };
}

/** `os.networkInterfaces()` of a host with only `lo`: for buses on fake sockets. */
export const loopbackOnly = () => ({
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4' as const,
      mac: '00:00:00:00:00:00',
      internal: true,
      cidr: '127.0.0.1/8',
    },
  ],
});
