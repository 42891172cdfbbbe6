/**
 * The UDP multicast endpoint, wire-compatible with python-can's `udp_multicast` interface
 * (python-can 4.1 can/interfaces/udp_multicast/bus.py `UdpMulticastBus`).
 *
 * Two sockets, unlike python-can's one:
 * - the receive socket shares the port with python-can programs (SO_REUSEADDR, as python-can 4.1
 *   sets it; SO_REUSEPORT alone would fail with EADDRINUSE) and, on Linux, is bound to the group
 *   address, so it only gets datagrams sent to its own group, not those of other groups joined on
 *   the host on the same port (python-can binds the wildcard and gets them all);
 * - the send socket has its own ephemeral port, so our datagrams that the kernel loops back
 *   (multicast loop stays on so python-can programs on this host see our frames) are recognised by
 *   source port and local address and dropped as 'own_echo'. python-can sends from port 43113, so
 *   its frames, even from this host, are never mistaken for ours. It is connected to the group
 *   (src/multicast/open-sockets.ts `connectSocket`), so sends skip the per-datagram lookup.
 *
 * The interface carrying the group is watched (src/multicast/interface-watch.ts): when it is
 * deleted and re-created, or comes back up, both sockets are opened again and swapped in.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { CanFrame } from '../frame.js';
import { decodeDatagram } from '../protocol/decode-datagram.js';
import { encodeFrame } from '../protocol/encode-frame.js';
import {
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
  DEFAULT_RECV_BUFFER_BYTES,
} from './defaults.js';
import { systemTimers } from './bus-timers.js';
import type { BusTimers, CancelTimer } from './bus-timers.js';
import { FrameQueue } from './frame-queue.js';
import { InterfaceWatch, sysfsInterfaceIndex } from './interface-watch.js';
import type { InterfaceIndexFn, Rejoin } from './interface-watch.js';
import { resolveGroup } from './multicast-address.js';
import type { NetworkInterfacesFn, ResolvedGroup } from './multicast-address.js';
import { MulticastError } from './multicast-error.js';
import { OwnEchoGuard } from './own-echo-guard.js';
import type { EchoFilterTarget } from './own-echo-guard.js';
import { attachNativeEchoFilter, forceNativeRecvBuffer } from './native-socket-options.js';
import type { ForceRecvBuffer } from './native-socket-options.js';
import {
  connectSocket,
  joinGroup,
  openReceiveSocket,
  openSendSocket,
  setRecvBuffer,
  wildcardAddress,
} from './open-sockets.js';
import type { SocketOpener } from './open-sockets.js';
import { createUdpSocket } from './udp-socket.js';
import type { UdpSocket } from './udp-socket.js';

export type {
  DatagramSource,
  MulticastBusEvents,
  MulticastBusInfo,
  MulticastBusOptions,
  MulticastBusStats,
  MulticastCodec,
  ReceivedFrame,
} from './multicast-bus-types.js';
import type {
  MulticastBusEvents,
  MulticastBusInfo,
  MulticastBusOptions,
  MulticastBusStats,
  MulticastCodec,
  ReceivedFrame,
} from './multicast-bus-types.js';

type State = 'new' | 'starting' | 'open' | 'closing' | 'closed';

const WARN_INTERVAL_MS = 5000;
const DEFAULT_INTERFACE_CHECK_INTERVAL_MS = 1000;
/** A failed send looks at the interfaces at once, but not more often than this. */
const MIN_CHECK_GAP_MS = 200;
/**
 * A replaced send socket stays open this long, its port still counted as ours: its last
 * datagrams may still come back through the multicast loop.
 */
const RETIRED_SEND_SOCKET_MS = 2000;
/** How often an unconnected send socket (no route to the group at the time) is tried again. */
const CONNECT_RETRY_MS = 10_000;
/** Send errors that may mean the interface went away or changed (linux ip(7), ipv6(7), udp(7)). */
const INTERFACE_ERRORS = new Set([
  'ENODEV',
  'ENXIO',
  'EADDRNOTAVAIL',
  'ENETUNREACH',
  'ENETDOWN',
  'EINVAL',
]);

export class MulticastBus extends EventEmitter<MulticastBusEvents> {
  readonly #group: string;
  readonly #port: number;
  readonly #interface: string | null;
  readonly #hopLimit: number;
  readonly #recvBufferRequested: number;
  readonly #bindGroup: boolean;
  readonly #replaceTimestamp: boolean;
  readonly #highWaterMark: number;
  readonly #log: Logger;
  readonly #codec: MulticastCodec;
  readonly #networkInterfaces: NetworkInterfacesFn;
  readonly #interfaceIndex: InterfaceIndexFn;
  readonly #checkIntervalMs: number;
  readonly #timers: BusTimers;
  readonly #clock: () => number;
  readonly #ownEcho: OwnEchoGuard;
  readonly #forceRecvBuffer: ForceRecvBuffer | null;

  #state: State = 'new';
  #startPromise: Promise<void> | null = null;
  #closePromise: Promise<void> | null = null;
  #info: MulticastBusInfo | null = null;
  #rx: UdpSocket | null = null;
  #tx: UdpSocket | null = null;
  #sendPort = -1;
  #destination = '';
  #destPort = 0;
  /** The send socket is connected to the group: sends skip dgram's per-datagram address lookup. */
  #connected = false;
  /** Every socket created and not closed yet (rx, tx, replaced ones, ones being opened). */
  readonly #sockets = new Set<UdpSocket>();
  readonly #opener: SocketOpener;
  /** Ports of replaced send sockets still open, with the timers that close them. */
  readonly #retiredPorts = new Map<number, CancelTimer>();
  #watch: InterfaceWatch | null = null;
  #stopChecks: CancelTimer | null = null;
  #lastCheckAt = -Infinity;
  #rejoining = false;
  /** When the send socket last failed to connect (monotonic ms). */
  #connectFailedAt = -Infinity;
  #abortStart: ((err: Error) => void) | null = null;
  #pendingSends = 0;
  #drained: (() => void) | null = null;
  readonly #queues = new Set<FrameQueue<ReceivedFrame>>();
  readonly #lastWarn = new Map<string, { at: number; suppressed: number }>();
  readonly #stats: MulticastBusStats = {
    datagrams: 0,
    received: 0,
    sent: 0,
    sendErrors: 0,
    receiveErrors: 0,
    rejoins: 0,
    dropped: {},
  };

  constructor(options: MulticastBusOptions = {}) {
    super();
    this.#group = options.group ?? DEFAULT_GROUP_IPV6;
    this.#port = options.port ?? DEFAULT_PORT;
    this.#interface = options.interface ?? null;
    this.#hopLimit = options.hopLimit ?? DEFAULT_HOP_LIMIT;
    this.#recvBufferRequested = options.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES;
    this.#bindGroup = options.bindGroup ?? process.platform === 'linux';
    this.#replaceTimestamp = (options.timestamps ?? 'receive') === 'receive';
    this.#highWaterMark = options.iteratorHighWaterMark ?? 10_000;
    this.#codec = options.codec ?? { encodeFrame, decodeDatagram };
    this.#networkInterfaces = options.networkInterfaces ?? osNetworkInterfaces;
    this.#interfaceIndex = options.interfaceIndex ?? sysfsInterfaceIndex;
    this.#checkIntervalMs = options.interfaceCheckIntervalMs ?? DEFAULT_INTERFACE_CHECK_INTERVAL_MS;
    this.#timers = options.timers ?? systemTimers;
    this.#clock = options.clock ?? wallClockSeconds();
    this.#forceRecvBuffer =
      options.forceRecvBuffer === undefined ? forceNativeRecvBuffer : options.forceRecvBuffer;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'multicast' });
    this.#ownEcho = new OwnEchoGuard({
      networkInterfaces: this.#networkInterfaces,
      attach:
        options.attachEchoFilter === undefined ? attachNativeEchoFilter : options.attachEchoFilter,
      log: this.#log,
      warn: (key, fields, msg) => this.#warn(key, fields, msg),
    });
    this.#opener = {
      factory: options.socketFactory ?? createUdpSocket,
      created: (sock) => this.#sockets.add(sock),
      close: (sock) => this.#closeSocket(sock),
    };
  }

  /** Group, port, interface and buffer sizes in effect; null before `start()` resolved. */
  get info(): MulticastBusInfo | null {
    return this.#info;
  }

  /** A copy of the counters. */
  stats(): MulticastBusStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  /**
   * Opens both sockets, binds and joins the group. Rejects with a `MulticastError`
   * (ERR_INVALID_GROUP, ERR_INVALID_OPTION, ERR_UNKNOWN_INTERFACE, ERR_MULTICAST_BIND,
   * ERR_MULTICAST_JOIN, ERR_MULTICAST_SOCKET), after which the bus is closed.
   */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(this.#closedError());
    }
    if (this.#startPromise === null) {
      this.#state = 'starting';
      const aborted = new Promise<never>((_, reject) => {
        this.#abortStart = reject;
      });
      this.#startPromise = Promise.race([this.#open(), aborted]).then(
        () => {
          if (this.#state === 'starting') this.#state = 'open';
        },
        (err: unknown) => {
          this.#teardown();
          throw err;
        },
      );
    }
    return this.#startPromise;
  }

  async #open(): Promise<void> {
    if (!Number.isInteger(this.#port) || this.#port < 0 || this.#port > 65535) {
      throw new MulticastError('ERR_INVALID_OPTION', `port must be 0..65535, got ${this.#port}`);
    }
    if (!Number.isInteger(this.#hopLimit) || this.#hopLimit < 0 || this.#hopLimit > 255) {
      throw new MulticastError(
        'ERR_INVALID_OPTION',
        `hop limit must be 0..255, got ${this.#hopLimit}`,
      );
    }
    if (!Number.isInteger(this.#recvBufferRequested) || this.#recvBufferRequested <= 0) {
      throw new MulticastError(
        'ERR_INVALID_OPTION',
        'receive buffer size must be a positive integer',
      );
    }
    if (!Number.isInteger(this.#checkIntervalMs) || this.#checkIntervalMs < 0) {
      throw new MulticastError(
        'ERR_INVALID_OPTION',
        'interface check interval must be a non-negative integer',
      );
    }
    const g = resolveGroup(this.#group, this.#interface, this.#networkInterfaces);
    const bindAddress = this.#bindGroup ? g.scopedGroup : wildcardAddress(g.family);
    const rx = await openReceiveSocket(
      this.#opener,
      g,
      this.#port,
      bindAddress,
      this.#onReceiveError,
    );
    this.#assertStarting();
    this.#rx = rx;
    const recvBufferBytes = setRecvBuffer(
      rx,
      this.#recvBufferRequested,
      this.#log,
      true,
      this.#forceRecvBuffer,
    );
    rx.on('message', this.#onMessage);
    const port = rx.address().port;

    const tx = await openSendSocket(this.#opener, g, this.#hopLimit, this.#onSendSocketError);
    this.#assertStarting();
    this.#tx = tx;
    this.#destination = g.scopedGroup;
    this.#destPort = port;
    this.#connected = await this.#connect(tx, g, false);
    this.#assertStarting();
    this.#sendPort = tx.address().port;
    this.#ownEcho.refresh(true, this.#echoTarget());

    this.#info = {
      family: g.family,
      group: g.group,
      port,
      interface: g.interfaceName,
      hopLimit: this.#hopLimit,
      recvBufferRequestedBytes: this.#recvBufferRequested,
      recvBufferBytes,
      sendPort: this.#sendPort,
      bindAddress,
    };
    this.#startWatch(g);
    this.#log.info({ ...this.#info }, 'multicast bus started');
  }

  /**
   * Connects `tx` to the group (see `connectSocket`). When that fails (no route to the group yet:
   * ENETUNREACH in a namespace without a multicast route, or an interface still without an
   * address), the bus sends with the address on every datagram instead, as before connect(2) was
   * used; each such send fails the same way until the route exists (counted). A re-join tries
   * again, and so does the interface watch every 10 s.
   */
  async #connect(tx: UdpSocket, g: ResolvedGroup, quiet: boolean): Promise<boolean> {
    const err = await connectSocket(tx, this.#destPort, g.scopedGroup);
    if (err === null) return true;
    this.#connectFailedAt = this.#timers.now();
    const fields = { err, group: g.scopedGroup, port: this.#destPort };
    const msg = 'send socket not connected: sending with the address';
    if (quiet) this.#log.debug(fields, msg);
    else this.#log.info(fields, msg);
    return false;
  }

  /** Starts looking at the interface every `interfaceCheckIntervalMs` (unless 0). */
  #startWatch(g: ResolvedGroup): void {
    if (this.#checkIntervalMs === 0) return;
    const watch = new InterfaceWatch({
      family: g.family,
      interfaceName: g.interfaceName,
      networkInterfaces: this.#networkInterfaces,
      interfaceIndex: this.#interfaceIndex,
    });
    try {
      watch.reset();
    } catch (err) {
      this.#warn('interfaces', { err }, 'cannot list the network interfaces');
    }
    this.#watch = watch;
    this.#lastCheckAt = this.#timers.now();
    this.#stopChecks = this.#timers.every(this.#checkIntervalMs, this.#check);
  }

  /** One look at the interfaces: logs 'gone', or re-joins when the sockets need it. */
  #check = (): void => {
    const watch = this.#watch;
    if (this.#state !== 'open' || watch === null || this.#rejoining) return;
    this.#lastCheckAt = this.#timers.now();
    let change: ReturnType<InterfaceWatch['poll']>;
    try {
      change = watch.poll();
    } catch (err) {
      this.#warn('interfaces', { err }, 'cannot list the network interfaces');
      return;
    }
    if (change === null) {
      if (!this.#connected && watch.state === 'up') this.#retryConnect();
      return;
    }
    if (change.kind === 'gone') {
      this.#log.info({ iface: this.#interface }, 'multicast interface gone');
      return;
    }
    this.#rejoining = true;
    this.#rejoin(watch, change)
      .catch((err: unknown) => this.#log.error({ err }, 'multicast re-join failed unexpectedly'))
      .finally(() => (this.#rejoining = false));
  };

  /**
   * Joins the group again. On a new interface index, on fresh sockets rather than addMembership /
   * setMulticastInterface on the old ones: a membership of a deleted interface stays on the socket
   * until it closes (linux net/ipv4/igmp.c `ip_mc_leave_group` finds it by the new index only) and
   * counts against net.ipv4.igmp_max_memberships (20), so re-joining in place would fail after
   * some re-creations; a socket bound to a link-local IPv6 group `%ifname` stays bound to the old
   * index (net/ipv6/af_inet6.c `__inet6_bind` sets `sk_bound_dev_if`); and the connected send
   * socket keeps the old source address. Datagrams waiting in a replaced receive socket are lost
   * (its interface was gone, or an interface went away when none is named). The same interface
   * back (link down and up, address re-added) keeps its receive socket: the membership is added
   * again in place, where the kernel usually still has it (EADDRINUSE).
   */
  async #rejoin(watch: InterfaceWatch, change: Rejoin): Promise<void> {
    const info = this.#info;
    const oldRx = this.#rx;
    if (info === null || oldRx === null) return;
    let rx: UdpSocket | null = null;
    let tx: UdpSocket | null = null;
    let g: ResolvedGroup;
    try {
      g = resolveGroup(this.#group, this.#interface, this.#networkInterfaces);
      if (change.reopenReceive) {
        rx = await openReceiveSocket(
          this.#opener,
          g,
          info.port,
          info.bindAddress,
          this.#onReceiveError,
        );
      } else {
        joinGroup(oldRx, g, true);
      }
      if (change.reopenSend) {
        tx = await openSendSocket(this.#opener, g, this.#hopLimit, this.#onSendSocketError);
      }
    } catch (err) {
      if (rx !== null) this.#closeSocket(rx);
      if (watch.markGone()) {
        this.#log.info({ iface: this.#interface, err }, 'multicast interface gone');
      } else {
        this.#log.debug({ err, reason: change.reason }, 'multicast re-join failed');
      }
      return;
    }
    const connected =
      tx === null ? this.#connected : this.#state === 'open' && (await this.#connect(tx, g, true));
    if (this.#state !== 'open' || this.#rx !== oldRx || this.#tx === null) {
      if (rx !== null) this.#closeSocket(rx);
      if (tx !== null) this.#closeSocket(tx);
      return;
    }
    let recvBufferBytes = info.recvBufferBytes;
    if (rx !== null) {
      recvBufferBytes = setRecvBuffer(
        rx,
        this.#recvBufferRequested,
        this.#log,
        false,
        this.#forceRecvBuffer,
      );
      // The old receive socket stops delivering before the new one starts: no datagram twice.
      oldRx.removeListener('message', this.#onMessage);
      this.#closeSocket(oldRx);
      rx.on('message', this.#onMessage);
      this.#rx = rx;
    }
    if (tx !== null) {
      this.#retire(this.#tx);
      this.#tx = tx;
      this.#connected = connected;
      this.#destination = g.scopedGroup;
      this.#sendPort = tx.address().port;
    } else if (g.interfaceAddress !== null) {
      // The same interface: IP_MULTICAST_IF again (harmless; its IPv4 address may be new).
      try {
        this.#tx.setMulticastInterface(g.interfaceAddress);
      } catch (err) {
        this.#log.debug({ err }, 'setMulticastInterface failed on re-join');
      }
    }
    this.#ownEcho.refresh(true, this.#echoTarget());
    watch.markUp();
    this.#stats.rejoins++;
    this.#info = { ...info, interface: g.interfaceName, recvBufferBytes, sendPort: this.#sendPort };
    const seen = watch.seen;
    this.#log.info(
      {
        iface: this.#interface,
        ifindex: seen.ifindex,
        addresses: seen.addresses,
        reason: change.reason,
        reopened: { receive: rx !== null, send: tx !== null },
        sendPort: this.#sendPort,
        connected,
      },
      'multicast interface back',
    );
  }

  /**
   * The send socket could not connect (no route to the group then, e.g. started before the
   * network was configured): try again on a fresh socket every 10 s, so the fast path is not lost
   * for good. Not on the live socket: between connect(2) and its callback, dgram would throw for
   * sends that still carry the address.
   */
  #retryConnect(): void {
    const info = this.#info;
    if (info === null || this.#timers.now() - this.#connectFailedAt < CONNECT_RETRY_MS) return;
    this.#rejoining = true;
    const attempt = async (): Promise<void> => {
      const g = resolveGroup(this.#group, this.#interface, this.#networkInterfaces);
      const tx = await openSendSocket(this.#opener, g, this.#hopLimit, this.#onSendSocketError);
      const connected = await this.#connect(tx, g, true);
      if (!connected || this.#state !== 'open' || this.#tx === null) {
        this.#closeSocket(tx);
        return;
      }
      this.#retire(this.#tx);
      this.#tx = tx;
      this.#connected = true;
      this.#destination = g.scopedGroup;
      this.#sendPort = tx.address().port;
      this.#info = { ...info, sendPort: this.#sendPort };
      this.#ownEcho.install(this.#echoTarget());
      this.#log.info({ sendPort: this.#sendPort }, 'send socket connected');
    };
    attempt()
      .catch((err: unknown) => this.#log.debug({ err }, 'send socket connect retry failed'))
      .finally(() => (this.#rejoining = false));
  }

  /** Keeps a replaced send socket open (and its port ours) while its last echoes may arrive. */
  #retire(tx: UdpSocket): void {
    const port = this.#sendPort;
    this.#retiredPorts.get(port)?.();
    this.#retiredPorts.set(
      port,
      this.#timers.after(RETIRED_SEND_SOCKET_MS, () => {
        this.#retiredPorts.delete(port);
        this.#closeSocket(tx);
      }),
    );
  }

  /** A failed send: look at the interfaces now if it may mean the interface went away or changed. */
  #checkSoon(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !INTERFACE_ERRORS.has(code)) return;
    if (this.#timers.now() - this.#lastCheckAt < MIN_CHECK_GAP_MS) return;
    this.#check();
  }

  #closeSocket(sock: UdpSocket): void {
    if (!this.#sockets.delete(sock)) return;
    try {
      sock.close();
    } catch {
      // Already closed (dgram throws ERR_SOCKET_DGRAM_NOT_RUNNING).
    }
  }

  /**
   * Encodes and sends one frame. Throws the codec's error (ERR_INVALID_FRAME) for a frame python-can
   * would reject, and ERR_BUS_NOT_STARTED / ERR_BUS_CLOSED; nothing is sent then. A failure of the
   * send itself is counted in `sendErrors` and logged (rate-limited), not thrown; use `sendAsync`
   * to await it.
   */
  send(frame: CanFrame): void {
    this.#transmit(frame, null);
  }

  /** `send`, resolving once the kernel took the datagram; rejects with ERR_MULTICAST_SEND if not. */
  sendAsync(frame: CanFrame): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#transmit(frame, (err) => (err === null ? resolve() : reject(err)));
    });
  }

  #transmit(frame: CanFrame, done: ((err: MulticastError | null) => void) | null): void {
    const tx = this.#tx;
    if (this.#state !== 'open' || tx === null) {
      throw this.#state === 'new' || this.#state === 'starting'
        ? new MulticastError('ERR_BUS_NOT_STARTED', 'the multicast bus is not started')
        : this.#closedError();
    }
    const datagram = this.#codec.encodeFrame(frame);
    this.#pendingSends++;
    try {
      if (this.#connected) tx.send(datagram, this.#sendCallback(done));
      else tx.send(datagram, this.#destPort, this.#destination, this.#sendCallback(done));
    } catch (err) {
      // dgram throws synchronously only for a socket that is not running: count, never hang close().
      this.#pendingSends--;
      this.#stats.sendErrors++;
      throw new MulticastError('ERR_MULTICAST_SEND', `cannot send to ${this.#destination}`, err);
    }
  }

  #sendCallback(done: ((err: MulticastError | null) => void) | null): (err: Error | null) => void {
    return (err) => {
      this.#pendingSends--;
      if (err) {
        this.#stats.sendErrors++;
        this.#warn('send', { err }, 'multicast send failed');
        if (this.#watch !== null) this.#checkSoon(err);
        done?.(
          new MulticastError('ERR_MULTICAST_SEND', `cannot send to ${this.#destination}`, err),
        );
      } else {
        this.#stats.sent++;
        done?.(null);
      }
      if (this.#pendingSends === 0 && this.#drained !== null) this.#drained();
    };
  }

  /**
   * An async iterator over received frames from now on; it ends when the bus closes and rejects
   * with the error of `destroy(err)`. Each iterator gets every frame.
   */
  frames(): AsyncIterableIterator<ReceivedFrame> {
    const queue: FrameQueue<ReceivedFrame> = new FrameQueue(this.#highWaterMark, () =>
      this.#queues.delete(queue),
    );
    if (this.#state === 'closing' || this.#state === 'closed') queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ReceivedFrame> {
    return this.frames();
  }

  #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const stats = this.#stats;
    stats.datagrams++;
    if (
      (rinfo.port === this.#sendPort ||
        (this.#retiredPorts.size > 0 && this.#retiredPorts.has(rinfo.port))) &&
      this.#ownEcho.isLocal(rinfo.address, this.#echoTarget())
    ) {
      this.#drop('own_echo');
      return;
    }
    let result: ReturnType<MulticastCodec['decodeDatagram']>;
    try {
      result = this.#codec.decodeDatagram(msg);
    } catch (err) {
      // The codec promises not to throw; should it, the receive loop still must not die.
      result = { ok: false, reason: 'decoder_exception' };
      this.#log.debug({ err }, 'decoder threw');
    }
    if (!result.ok) {
      this.#drop(result.reason);
      if (this.#log.isLevelEnabled('debug')) {
        this.#log.debug(
          { reason: result.reason, from: rinfo.address, fromPort: rinfo.port, size: rinfo.size },
          'datagram dropped',
        );
      }
      return;
    }
    const frame = result.frame;
    const senderTimestamp = frame.timestamp;
    if (this.#replaceTimestamp) frame.timestamp = this.#clock();
    stats.received++;
    const rx: ReceivedFrame = {
      frame,
      senderTimestamp,
      source: {
        address: rinfo.address,
        port: rinfo.port,
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
        size: rinfo.size,
      },
    };
    for (const queue of this.#queues) {
      if (!queue.push(rx)) this.#drop('iterator_overflow');
    }
    this.emit('frame', rx);
  };

  #drop(reason: string): void {
    const dropped = this.#stats.dropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  }

  /** Where the own-echo filter goes now. */
  #echoTarget(): EchoFilterTarget {
    const family = (this.#info?.family ?? (isIPv6(this.#group) ? 6 : 4)) === 6 ? 'IPv6' : 'IPv4';
    return { rx: this.#rx, family, sendPort: this.#sendPort };
  }

  #onReceiveError = (err: Error): void => {
    if (this.#state !== 'open') return; // during start() the bind promise reports it
    this.#stats.receiveErrors++;
    this.#warn('receive', { err }, 'multicast receive socket error');
  };

  #onSendSocketError = (err: Error): void => {
    if (this.#state !== 'open') return;
    this.#stats.sendErrors++;
    this.#warn('send-socket', { err }, 'multicast send socket error');
  };

  /** Warns at most once per 5 s per `key`, saying how many were suppressed. */
  #warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const last = this.#lastWarn.get(key);
    if (last !== undefined && now - last.at < WARN_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    this.#lastWarn.set(key, { at: now, suppressed: 0 });
    this.#log.warn({ ...fields, suppressed: last?.suppressed ?? 0 }, msg);
  }

  /**
   * Stops receiving, lets sends already handed to the kernel finish, closes both sockets and ends
   * the iterators. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closePromise !== null) return this.#closePromise;
    this.#closePromise = (async () => {
      if (this.#state === 'starting') await this.#startPromise?.catch(() => undefined);
      if (this.#state === 'closed') return;
      this.#state = 'closing';
      for (const q of [...this.#queues]) q.end();
      if (this.#pendingSends > 0) {
        await new Promise<void>((resolve) => (this.#drained = resolve));
      }
      this.#teardown();
      this.#log.info({ ...this.#stats }, 'multicast bus closed');
    })();
    return this.#closePromise;
  }

  /** Closes now: pending sends are abandoned, iterators reject with `err` (if given). */
  destroy(err?: Error): void {
    if (this.#state === 'closed') return;
    // A start() still binding would wait forever for a socket closed under it.
    if (this.#state === 'starting') this.#abortStart?.(err ?? this.#closedError());
    for (const q of [...this.#queues]) q.end(err);
    this.#teardown();
    this.#drained?.();
    this.#closePromise ??= Promise.resolve();
    if (err !== undefined) {
      this.#log.error({ err }, 'multicast bus destroyed');
      if (this.listenerCount('error') > 0) this.emit('error', err);
    }
  }

  #teardown(): void {
    const wasClosed = this.#state === 'closed';
    this.#state = 'closed';
    this.#stopChecks?.();
    this.#stopChecks = null;
    for (const cancel of this.#retiredPorts.values()) cancel();
    this.#retiredPorts.clear();
    for (const sock of [...this.#sockets]) this.#closeSocket(sock);
    this.#rx = null;
    this.#tx = null;
    for (const q of [...this.#queues]) q.end();
    if (!wasClosed) this.emit('close');
  }

  /** After an await in `start()`: a `close()`/`destroy()` meanwhile wins. */
  #assertStarting(): void {
    if (this.#state !== 'starting') throw this.#closedError();
  }

  #closedError(): MulticastError {
    return new MulticastError('ERR_BUS_CLOSED', 'the multicast bus is closed');
  }
}

/**
 * Seconds since the epoch with microsecond resolution: the monotonic clock, re-anchored to the
 * wall clock (which has only milliseconds) every second so it follows NTP adjustments.
 */
function wallClockSeconds(): () => number {
  let offsetMs = Date.now() - performance.now();
  let anchoredAt = performance.now();
  return () => {
    const now = performance.now();
    if (now - anchoredAt > 1000) {
      offsetMs = Date.now() - now;
      anchoredAt = now;
    }
    return (offsetMs + now) / 1000;
  };
}
