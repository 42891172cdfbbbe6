/**
 * The one loader of the can_socket addon (native/), and its whole typed surface: the raw CAN
 * socket, the UDP socket, socket options on a caller's descriptor, and sd_notify. Loading happens
 * on the first call of `loadNativeBinding()`, never on import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeError } from '../errors.js';

/** Byte offsets of the addon's RX record and TX slot (native/src/raw_can_socket.h). */
export interface RecordLayout {
  readonly recordSize: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly drops: number;
  readonly msgLen: number;
  readonly msgFlags: number;
  readonly txStride: number;
  readonly txSizeOffset: number;
  readonly maxBatch: number;
  /** Frames per sendmmsg(2) of the addon's `send` (native/src/raw_can_socket.cc kTxChunk). */
  readonly txChunk: number;
}

/** The options the native constructor reads (all optional, kernel defaults otherwise). */
export interface RawCanSocketOptions {
  fdFrames?: boolean;
  loopback?: boolean;
  recvOwnMsgs?: boolean;
  joinFilters?: boolean;
  timestamps?: boolean;
  rxqOverflow?: boolean;
  errMask?: number;
  receiveBufferBytes?: number;
  sendBufferBytes?: number;
  batchSize?: number;
  /** (can_id, can_mask) pairs as `struct can_filter` (linux/can.h); empty = receive nothing. */
  filters?: Uint32Array;
}

/** One open raw CAN socket of the addon. */
export interface RawCanSocketHandle {
  readonly interface: string;
  readonly ifindex: number;
  /** The interface MTU at open: 16 (classic) or 72 (CAN FD capable). */
  readonly mtu: number;
  readonly batchSize: number;
  /** SO_RCVBUF as the kernel reports it (twice the requested value, socket(7)). */
  readonly receiveBufferBytes: number;
  /** `batchSize` records of `layout.recordSize` bytes, filled before each `onBatch` call. */
  readonly rxBuffer: ArrayBuffer;
  /** Negative errno of the first frame a short `send` did not write, 0 after a full send. */
  readonly sendErrno: number;
  /** The kernel's cumulative receive-queue drop count for this socket (SO_RXQ_OVFL). */
  readonly drops: number;
  readonly closed: boolean;
  startReading(
    onBatch: (count: number) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): void;
  stopReading(): void;
  /** One `onWritable` call when the socket can take more frames; null cancels. */
  waitWritable(onWritable: (() => void) | null): void;
  /** Writes `count` slots of `buf`; returns how many went out, never blocks. */
  send(buf: Uint8Array, count: number): number;
  close(): void;
}

/** Options of the addon's UDP socket constructor (native/src/udp_socket.cc). */
export interface NativeUdpSocketOptions {
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** SO_RXQ_OVFL, default true. */
  rxqOverflow?: boolean;
  /** IP_MULTICAST_ALL / IPV6_MULTICAST_ALL (ip(7), ipv6(7)), default true (the kernel's). */
  multicastAll?: boolean;
  /** Datagrams per recvmmsg, 1..1024, default 64. */
  batchSize?: number;
}

/** One open UDP socket of the addon (native/src/udp_socket.h). */
export interface NativeUdpSocketHandle {
  readonly family: 4 | 6;
  readonly batchSize: number;
  readonly fd: number;
  /** `batchSize` payload slots of `udpLayout.slotSize` bytes, filled before each `onBatch`. */
  readonly rxBuffer: ArrayBuffer;
  /** `batchSize` metadata records of `udpLayout.metaSize` bytes (src/multicast/udp-layout.ts). */
  readonly rxMeta: ArrayBuffer;
  /** Negative errno of the first datagram a short `send` did not write, 0 after a full send. */
  readonly sendErrno: number;
  /** The kernel's cumulative receive-queue drop count (SO_RXQ_OVFL / SO_MEMINFO). */
  readonly drops: number;
  readonly closed: boolean;
  bind(address: string, port: number): void;
  connect(address: string, port: number): void;
  localAddress(): { address: string; port: number };
  addMembership(group: string, iface: string): void;
  setMulticastInterface(iface: string): void;
  setMulticastTTL(ttl: number): void;
  setMulticastLoopback(flag: boolean): void;
  setRecvBufferSize(bytes: number): void;
  getRecvBufferSize(): number;
  startReading(
    onBatch: (count: number, drops: number) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): void;
  stopReading(): void;
  waitWritable(onWritable: (() => void) | null): void;
  send(
    data: Uint8Array,
    lengths: Uint32Array,
    first: number,
    count: number,
    address?: string,
    port?: number,
  ): number;
  close(): void;
}

export interface NativeBinding {
  readonly RawCanSocket: new (ifname: string, options: RawCanSocketOptions) => RawCanSocketHandle;
  readonly layout: RecordLayout;
  readonly UdpSocket: new (family: 4 | 6, options: NativeUdpSocketOptions) => NativeUdpSocketHandle;
  /** The UDP metadata layout as the addon has it (checked against src/multicast/udp-layout.ts). */
  readonly udpLayout: Readonly<Record<string, number>>;
  /**
   * SO_ATTACH_FILTER with a classic BPF program of `struct sock_filter` records (host order) on a
   * socket the caller owns (native/src/socket_options.h); throws a Node-style error on refusal.
   */
  readonly attachSocketFilter: (fd: number, program: Uint8Array) => void;
  /** SO_RCVBUFFORCE on a socket the caller owns (needs CAP_NET_ADMIN); throws on refusal. */
  readonly forceReceiveBuffer: (fd: number, bytes: number) => void;
  /**
   * sd_notify(3)'s one datagram to `address` ("/path" or "@abstract", native/src/sd_notify.h);
   * returns the bytes sent, never blocks, throws a Node-style system error.
   */
  readonly sdNotify: (address: string, message: string | Uint8Array) => number;
}

let cached: NativeBinding | undefined;

/** Where the addon is built by `native/build.mjs` (works from src/ under vitest and from dist/src/). */
export function nativeAddonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = resolve(dir, 'native/build/Release/can_socket.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return resolve(
    dirname(fileURLToPath(import.meta.url)),
    '../../native/build/Release/can_socket.node',
  );
}

/** Loads the addon once; throws BridgeError 'ERR_CAN_ADDON' when it is missing or does not load. */
export function loadNativeBinding(): NativeBinding {
  if (cached !== undefined) return cached;
  const path = nativeAddonPath();
  try {
    const required = createRequire(import.meta.url)(path) as NativeBinding;
    cached = required;
    return required;
  } catch (err) {
    throw new BridgeError(
      'ERR_CAN_ADDON',
      `cannot load the SocketCAN addon at ${path} (build it with \`npm run install\`): ${String(err)}`,
      { cause: err },
    );
  }
}
