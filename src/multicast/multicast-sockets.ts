/**
 * The socket layer of `MulticastBus`: opens the receive and send sockets, joins, connects the send
 * socket (and tries again when that failed), re-joins when the interface carrying the group comes
 * back (interface-follower.ts says when), keeps replaced send ports as "ours" while their last echoes may still
 * arrive, and keeps the kernel own-echo filter in step (own-echo-guard.ts). What the sockets carry
 * is the bus's business: received datagrams go to the `DatagramSink` it gives, and it hears of
 * every new send target.
 *
 * Two sockets, unlike python-can's one:
 * - the receive socket shares the port with python-can programs (SO_REUSEADDR, as python-can 4.1
 *   sets it; SO_REUSEPORT alone would fail with EADDRINUSE) and, on Linux, is bound to the group
 *   address, so it only gets datagrams sent to its own group, not those of other groups joined on
 *   the host on the same port (python-can binds the wildcard and gets them all);
 * - the send socket has its own ephemeral port, so our datagrams that the kernel loops back
 *   (multicast loop stays on so python-can programs on this host see our frames) are recognised by
 *   source port and local address and dropped. python-can sends from port 43113, so its frames,
 *   even from this host, are never mistaken for ours. It is connected to the group
 *   (open-sockets.ts `connectSocket`), so sends skip the per-datagram route lookup.
 */
import type { Logger } from 'pino';
import type { Timers } from '../net/timers.js';
import type { LinkReader } from '../net/interface-reader.js';
import { InterfaceFollower } from './interface-follower.js';
import type { RejoinDone } from './interface-follower.js';
import { resolveGroup } from './multicast-address.js';
import type { NetworkInterfacesFn, ResolvedGroup } from './multicast-address.js';
import type { MulticastBusInfo } from './multicast-bus-types.js';
import type { AttachEchoFilter, ForceReceiveBuffer } from './native-socket-options.js';
import {
  connectSocket,
  joinGroup,
  openReceiveSocket,
  openSendSocket,
  setReceiveBuffer,
  wildcardAddress,
} from './open-sockets.js';
import type { SocketOpener } from './open-sockets.js';
import { OwnEchoGuard } from './own-echo-guard.js';
import type { EchoFilterTarget } from './own-echo-guard.js';
import type { SendTarget } from './send-queue.js';
import type { DatagramSink, UdpSocket, UdpSocketFactory } from './udp-socket.js';
import type { Rejoin } from './rejoin-policy.js';
import { RetiredSendPorts } from './retired-send-ports.js';

/** How often an unconnected send socket (no route to the group at the time) is tried again. */
const CONNECT_RETRY_MS = 10_000;

/** What the sockets are opened with (validated by the bus). */
export interface MulticastSocketsConfig {
  group: string;
  port: number;
  interface: string | null;
  hopLimit: number;
  loopback: boolean;
  receiveBufferRequestedBytes: number;
  bindGroup: boolean;
  /** 0: no interface watch. */
  checkIntervalMs: number;
}

export interface MulticastSocketsDeps {
  factory: UdpSocketFactory;
  networkInterfaces: NetworkInterfacesFn;
  readLink: LinkReader;
  timers: Timers;
  attachEchoFilter: AttachEchoFilter | null;
  forceReceiveBuffer: ForceReceiveBuffer | null;
  log: Logger;
  /** The bus's rate-limited warning. */
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
  /** Where received datagrams go. */
  sink: DatagramSink;
  /** Errors of the receive path (counted by the bus). */
  onReceiveError: (err: Error) => void;
  /** The send socket or its destination changed (null: none). */
  onSendTarget: (target: SendTarget | null) => void;
}

export class MulticastSockets {
  readonly #config: MulticastSocketsConfig;
  readonly #deps: MulticastSocketsDeps;
  readonly #ownEcho: OwnEchoGuard;
  readonly #opener: SocketOpener;
  /** Every socket created and not closed yet (rx, tx, replaced ones, ones being opened). */
  readonly #sockets = new Set<UdpSocket>();
  readonly #retired: RetiredSendPorts;
  #open = false;
  #info: MulticastBusInfo | null = null;
  #rx: UdpSocket | null = null;
  #tx: UdpSocket | null = null;
  #sendPort = -1;
  #destination = '';
  /** The send socket is connected to the group: sends need no address. */
  #connected = false;
  #follower: InterfaceFollower | null = null;
  /** Times the group was joined again after the interface came back or changed. */
  rejoins = 0;
  /** When the send socket last failed to connect (monotonic ms). */
  #connectFailedAt = -Infinity;
  /** Kernel drops counted by receive sockets closed since start. */
  #closedDrops = 0;

  constructor(config: MulticastSocketsConfig, deps: MulticastSocketsDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#ownEcho = new OwnEchoGuard({
      networkInterfaces: deps.networkInterfaces,
      attach: deps.attachEchoFilter,
      log: deps.log,
      warn: deps.warn,
    });
    this.#retired = new RetiredSendPorts(deps.timers, (sock) => this.#closeSocket(sock));
    this.#opener = {
      factory: deps.factory,
      created: (sock) => this.#sockets.add(sock),
      close: (sock) => this.#closeSocket(sock),
    };
  }

  get info(): MulticastBusInfo | null {
    return this.#info;
  }

  /** The kernel's count of datagrams dropped for our receive sockets (full buffer), since start. */
  kernelDrops(): number {
    let now = 0;
    try {
      now = this.#rx?.kernelDrops() ?? 0;
    } catch {
      // A socket closed under us counts nothing more.
    }
    return this.#closedDrops + now;
  }

  /**
   * True while the kernel own-echo filter is on the receive socket: each datagram we send then
   * comes back through multicast loop and is dropped by the kernel, which counts it in the
   * socket's drops (net/ipv4/udp.c `udp_queue_rcv_one_skb`: a filter drop increments `sk_drops`
   * like a full buffer does).
   */
  echoFilterActive(): boolean {
    return this.#ownEcho.attachedTo(this.#rx);
  }

  /** Opens both sockets, binds, joins and connects; throws a `MulticastError` (nothing left open). */
  open(): void {
    const cfg = this.#config;
    const g = resolveGroup(cfg.group, cfg.interface, this.#deps.networkInterfaces);
    const bindAddress = cfg.bindGroup ? g.scopedGroup : wildcardAddress(g.family);
    const rx = openReceiveSocket(this.#opener, g, cfg.port, bindAddress);
    const receiveBufferBytes = setReceiveBuffer(
      rx,
      cfg.receiveBufferRequestedBytes,
      this.#deps.log,
      true,
      this.#deps.forceReceiveBuffer,
    );
    const port = rx.localAddress().port;
    const tx = openSendSocket(this.#opener, g, cfg.hopLimit, cfg.loopback);
    this.#open = true;
    this.#rx = rx;
    this.#tx = tx;
    this.#destination = g.scopedGroup;
    this.#info = {
      family: g.family,
      group: g.group,
      port,
      interface: g.interfaceName,
      hopLimit: cfg.hopLimit,
      receiveBufferRequestedBytes: cfg.receiveBufferRequestedBytes,
      receiveBufferBytes,
      sendPort: -1,
      bindAddress,
    };
    this.#connected = this.#connect(tx, g, false);
    this.#sendPort = tx.localAddress().port;
    this.#info.sendPort = this.#sendPort;
    this.#ownEcho.refresh(true, this.#echoTarget());
    this.#startReading(rx);
    this.#publishTarget();
    this.#startWatch(g);
  }

  /** True when a datagram from `address`:`port` is one of ours come back through multicast loop. */
  isOwnEcho(address: string, port: number): boolean {
    return (
      (port === this.#sendPort || this.#retired.has(port)) &&
      this.#ownEcho.isLocal(address, this.#echoTarget())
    );
  }

  /** A send failed: look at the interfaces now if it may mean the interface went away or changed. */
  sendFailed(err: NodeJS.ErrnoException): void {
    if (this.#open) this.#follower?.sendFailed(err);
  }

  /** Closes every socket (idempotent). */
  close(): void {
    this.#closedDrops = this.kernelDrops();
    this.#open = false;
    this.#follower?.close();
    this.#retired.clear();
    for (const sock of [...this.#sockets]) this.#closeSocket(sock);
    this.#rx = null;
    this.#tx = null;
    this.#deps.onSendTarget(null);
  }

  #startReading(rx: UdpSocket): void {
    rx.startReading(this.#deps.sink, (err) => {
      if (this.#open && this.#rx === rx) this.#deps.onReceiveError(err);
    });
  }

  #publishTarget(): void {
    const tx = this.#tx;
    const port = this.#info?.port ?? this.#config.port;
    this.#deps.onSendTarget(
      tx === null
        ? null
        : {
            socket: tx,
            to: this.#connected ? undefined : { address: this.#destination, port },
          },
    );
  }

  /**
   * Connects `tx` to the group (see `connectSocket`). When that fails (no route to the group yet:
   * ENETUNREACH in a namespace without a multicast route, or an interface still without an
   * address), the bus sends with the address on every datagram instead; each such send fails the
   * same way until the route exists (counted). A re-join tries again, and so does a timer every
   * 10 s while the interface is up.
   */
  #connect(tx: UdpSocket, g: ResolvedGroup, quiet: boolean): boolean {
    const port = this.#info?.port ?? this.#config.port;
    const err = connectSocket(tx, port, g.scopedGroup);
    if (err === null) return true;
    this.#connectFailedAt = this.#deps.timers.now();
    const fields = { err, group: g.scopedGroup, port };
    const msg = 'send socket not connected: sending with the address';
    if (quiet) this.#deps.log.debug(fields, msg);
    else this.#deps.log.info(fields, msg);
    return false;
  }

  /** Starts following the interface every `checkIntervalMs` (unless 0). */
  #startWatch(g: ResolvedGroup): void {
    const intervalMs = this.#config.checkIntervalMs;
    if (intervalMs === 0) return;
    const options = {
      interface: this.#config.interface,
      interfaceName: g.interfaceName,
      family: g.family,
      intervalMs,
    };
    this.#follower = new InterfaceFollower(options, this.#deps, {
      rejoin: (change) => this.#rejoin(change),
      retryConnect: () => this.#retryConnect(),
      connected: () => this.#connected,
    });
    this.#follower.start();
  }

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
  #rejoin(change: Rejoin): RejoinDone | { err: unknown } {
    const info = this.#info;
    const oldRx = this.#rx;
    const oldTx = this.#tx;
    if (info === null || oldRx === null || oldTx === null) return { err: null };
    const cfg = this.#config;
    let rx: UdpSocket | null = null;
    let tx: UdpSocket | null = null;
    let g: ResolvedGroup;
    try {
      g = resolveGroup(cfg.group, cfg.interface, this.#deps.networkInterfaces);
      if (change.reopenReceive) {
        rx = openReceiveSocket(this.#opener, g, info.port, info.bindAddress);
      } else {
        joinGroup(oldRx, g, true);
      }
      if (change.reopenSend) tx = openSendSocket(this.#opener, g, cfg.hopLimit, cfg.loopback);
    } catch (err) {
      if (rx !== null) this.#closeSocket(rx);
      return { err };
    }
    let receiveBufferBytes = info.receiveBufferBytes;
    if (rx !== null) {
      receiveBufferBytes = setReceiveBuffer(
        rx,
        cfg.receiveBufferRequestedBytes,
        this.#deps.log,
        false,
        this.#deps.forceReceiveBuffer,
      );
      // The old receive socket stops delivering before the new one starts: no datagram twice.
      this.#closedDrops += safeDrops(oldRx);
      this.#closeSocket(oldRx);
      this.#rx = rx;
      this.#startReading(rx);
    }
    let connected = this.#connected;
    if (tx !== null) {
      connected = this.#connect(tx, g, true);
      this.#retired.retire(oldTx, this.#sendPort);
      this.#tx = tx;
      this.#connected = connected;
      this.#destination = g.scopedGroup;
      this.#sendPort = tx.localAddress().port;
      this.#publishTarget();
    } else if (g.interfaceAddress !== null) {
      // The same interface: IP_MULTICAST_IF again (harmless; its IPv4 address may be new).
      try {
        oldTx.setMulticastInterface(g.interfaceAddress);
      } catch (err) {
        this.#deps.log.debug({ err }, 'setMulticastInterface failed on re-join');
      }
    }
    this.#ownEcho.refresh(true, this.#echoTarget());
    this.#info = {
      ...info,
      interface: g.interfaceName,
      receiveBufferBytes,
      sendPort: this.#sendPort,
    };
    this.rejoins++;
    const reopened = { receive: rx !== null, send: tx !== null };
    return { reopened, sendPort: this.#sendPort, connected };
  }

  /**
   * The send socket could not connect (no route to the group then, e.g. started before the
   * network was configured): try again on a fresh socket every 10 s, so the fast path is not lost
   * for good. Not on the live socket: its queued datagrams still carry the address.
   */
  #retryConnect(): void {
    const info = this.#info;
    const oldTx = this.#tx;
    if (info === null || oldTx === null) return;
    if (this.#deps.timers.now() - this.#connectFailedAt < CONNECT_RETRY_MS) return;
    let tx: UdpSocket | null = null;
    try {
      const g = resolveGroup(
        this.#config.group,
        this.#config.interface,
        this.#deps.networkInterfaces,
      );
      tx = openSendSocket(this.#opener, g, this.#config.hopLimit, this.#config.loopback);
      if (!this.#connect(tx, g, true)) {
        this.#closeSocket(tx);
        return;
      }
      this.#retired.retire(oldTx, this.#sendPort);
      this.#tx = tx;
      this.#connected = true;
      this.#destination = g.scopedGroup;
      this.#sendPort = tx.localAddress().port;
      this.#info = { ...info, sendPort: this.#sendPort };
      this.#ownEcho.install(this.#echoTarget());
      this.#publishTarget();
      this.#deps.log.info({ sendPort: this.#sendPort }, 'send socket connected');
    } catch (err) {
      if (tx !== null && tx !== this.#tx) this.#closeSocket(tx);
      this.#deps.log.debug({ err }, 'send socket connect retry failed');
    }
  }

  #closeSocket(sock: UdpSocket): void {
    if (!this.#sockets.delete(sock)) return;
    try {
      sock.close();
    } catch {
      // Already closed.
    }
  }

  /** Where the own-echo filter goes now. */
  #echoTarget(): EchoFilterTarget {
    const family = this.#info?.family === 6 ? 'IPv6' : 'IPv4';
    return { rx: this.#rx, family, sendPort: this.#sendPort };
  }
}

function safeDrops(sock: UdpSocket): number {
  try {
    return sock.kernelDrops();
  } catch {
    return 0;
  }
}
