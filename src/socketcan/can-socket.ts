/**
 * `CanSocket`: the native raw CAN socket plus the policy around it: decoding batches into
 * `CanFrame`s, a bounded TX queue that waits for writability (EAGAIN) or backs off (ENOBUFS)
 * without blocking the event loop, stale-frame drops, counters, and riding through interface
 * down/up and deletion/re-creation by polling the interface by name.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { asError, BridgeError, errorCode } from '../errors.js';
import type { CanChannel, CanFrame } from '../frame.js';
import { validateFrame } from '../frame.js';
import type {
  CanSocketCounters,
  CanSocketEvents,
  CanSocketLike,
  CanSocketState,
  CanStateChange,
  CanTxDropReason,
} from './can-socket-like.js';
import { zeroCounters } from './can-socket-like.js';
import type { InterfaceProbe } from './interface-probe.js';
import { isInterfaceName, sysfsInterfaceProbe } from './interface-probe.js';
import type { CanKernelFilter } from './kernel-filter.js';
import { kernelFilterArray } from './kernel-filter.js';
import { CANFD_MTU } from '../can/linux-can.js';
import { decodeKernelRecord, encodeKernelFrame } from './kernel-frame.js';
import { CAN_RECORD_LAYOUT } from './record-layout.js';
import type {
  NativeBinding,
  RawCanSocketHandle,
  RawCanSocketOptions,
} from '../native/native-binding.js';
import { loadNativeBinding } from '../native/native-binding.js';
import { canSystemError, errnoName } from './system-error.js';
import { TxQueue } from './tx-queue.js';

export interface CanSocketOptions {
  /** Interface name, e.g. "vcan0". */
  interface: string;
  /** Enable CAN FD frames (CAN_RAW_FD_FRAMES); default false. */
  fd?: boolean;
  /** Kernel receive filters (CAN_RAW_FILTER); default: receive everything; [] receives nothing. */
  filters?: readonly CanKernelFilter[];
  /** A frame must match all filters instead of any (CAN_RAW_JOIN_FILTERS); default false. */
  joinFilters?: boolean;
  /** Error classes to receive as error frames (CAN_RAW_ERR_FILTER, linux/can/error.h); default 0. */
  errorMask?: number;
  /** Other sockets on this host see our frames (CAN_RAW_LOOPBACK); default true. */
  loopback?: boolean;
  /** We receive our own frames (CAN_RAW_RECV_OWN_MSGS); default false. */
  receiveOwnMessages?: boolean;
  /**
   * SO_RCVBUF in bytes (SO_RCVBUFFORCE when root/CAP_NET_ADMIN, else capped at net.core.rmem_max);
   * default 1 MiB (the kernel doubles it: about 2,300 frames), 0 keeps the kernel's default.
   */
  receiveBufferBytes?: number;
  /** SO_SNDBUF in bytes; default: the kernel's. */
  sendBufferBytes?: number;
  /** Kernel receive timestamps (SO_TIMESTAMPNS); default true, else the batch's wall clock. */
  timestamps?: boolean;
  /** Most frames read per readiness and delivered per 'frames' event; default 64, max 1024. */
  rxBatchSize?: number;
  /** `channel` of received frames; default the interface name (as python-can's socketcan). */
  channel?: CanChannel;
  /** Most frames waiting to be sent; default 1000. */
  txQueueLimit?: number;
  /** Drop queued frames older than this (ms); 0 never; default 1000. */
  txMaxAgeMs?: number;
  /** First and longest wait after ENOBUFS (ms); default 1 and 100, doubling. */
  txBackoffMinMs?: number;
  txBackoffMaxMs?: number;
  /** How often to look the interface up by name (ms); default 1000. */
  interfacePollMs?: number;
  /** `close()` gives up flushing after this (ms) and drops the rest; default 5000. */
  closeTimeoutMs?: number;
  /**
   * When the interface does not exist at `start()` (ENODEV), start in state 'gone' and wait for it
   * ('back' follows) instead of throwing; default false.
   */
  waitForInterface?: boolean;
}

/** Collaborators, with real defaults. */
export interface CanSocketDeps {
  binding?: NativeBinding;
  probe?: InterfaceProbe;
  logger?: Logger;
  /** Monotonic milliseconds clock for queue ages; default `performance.now`. */
  nowMs?: () => number;
}

/** Rides out event-loop stalls of about a tenth of a second at 20,000 frames/s. */
const DEFAULT_RECEIVE_BUFFER_BYTES = 1 << 20;

export class CanSocket extends EventEmitter<CanSocketEvents> implements CanSocketLike {
  readonly interfaceName: string;
  readonly #options: CanSocketOptions;
  readonly #nativeOptions: RawCanSocketOptions;
  readonly #probe: InterfaceProbe;
  readonly #log: Logger;
  readonly #nowMs: () => number;
  readonly #channel: CanChannel;
  #binding: NativeBinding | undefined;
  #handle: RawCanSocketHandle | null = null;
  #rxBytes = new Uint8Array(0);
  #rxView = new DataView(this.#rxBytes.buffer);
  #txBytes = new Uint8Array(0);
  #txView = new DataView(this.#txBytes.buffer);
  #state: CanSocketState = 'idle';
  #startPromise: Promise<void> | null = null;
  #fdCapable = false;
  #counters = zeroCounters();
  #dropsBase = 0;
  #queue: TxQueue;
  #flushScheduled = false;
  #flushImmediate: NodeJS.Immediate | null = null;
  #waitingWritable = false;
  #backoffTimer: NodeJS.Timeout | null = null;
  #backoffMs = 0;
  #pollTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #resolveClose: (() => void) | null = null;
  #txBlocked: CanTxDropReason | null = null;

  constructor(options: CanSocketOptions, deps: CanSocketDeps = {}) {
    super();
    if (!isInterfaceName(options.interface)) {
      throw new BridgeError(
        'ERR_CAN_INTERFACE',
        `invalid CAN interface name ${JSON.stringify(options.interface)}`,
      );
    }
    this.interfaceName = options.interface;
    this.#options = options;
    this.#binding = deps.binding;
    this.#probe = deps.probe ?? sysfsInterfaceProbe;
    this.#log = (deps.logger ?? pino({ enabled: false })).child({
      component: 'can-socket',
      iface: options.interface,
    });
    this.#nowMs = deps.nowMs ?? performance.now.bind(performance);
    this.#channel = options.channel === undefined ? options.interface : options.channel;
    this.#queue = new TxQueue(options.txQueueLimit ?? 1000);
    this.#nativeOptions = {
      fdFrames: options.fd ?? false,
      loopback: options.loopback ?? true,
      recvOwnMsgs: options.receiveOwnMessages ?? false,
      joinFilters: options.joinFilters ?? false,
      timestamps: options.timestamps ?? true,
      rxqOverflow: true,
      errMask: options.errorMask ?? 0,
      receiveBufferBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      sendBufferBytes: options.sendBufferBytes ?? 0,
      batchSize: options.rxBatchSize ?? 64,
      ...(options.filters === undefined ? {} : { filters: kernelFilterArray(options.filters) }),
    };
  }

  get state(): CanSocketState {
    return this.#state;
  }

  get fdCapable(): boolean {
    return this.#fdCapable;
  }

  /** The interface MTU seen at the last open (16 classic, 72 CAN FD), 0 before. */
  get mtu(): number {
    return this.#handle?.mtu ?? 0;
  }

  get counters(): CanSocketCounters {
    const c = this.#counters;
    return {
      ...c,
      rxKernelDrops: this.#dropsBase + (this.#handle?.drops ?? 0),
      txDropped: { ...c.txDropped },
      txQueued: this.#queue.length,
    };
  }

  /**
   * Opens the socket (synchronously: frames can be sent and received once this returns) and
   * starts watching the interface. Idempotent: every call returns the same promise, which rejects
   * with the coded open error (ENODEV, EAFNOSUPPORT, ERR_CAN_ADDON, ...) or ERR_CAN_SOCKET_CLOSED.
   */
  start(): Promise<void> {
    if (this.#startPromise === null) {
      try {
        this.#start();
        this.#startPromise = Promise.resolve();
      } catch (err) {
        this.#startPromise = Promise.reject(asError(err));
      }
    }
    return this.#startPromise;
  }

  #start(): void {
    if (this.#state !== 'idle') {
      throw new BridgeError(
        'ERR_CAN_SOCKET_CLOSED',
        `CAN socket on ${this.interfaceName} is closed`,
      );
    }
    this.#binding ??= loadNativeBinding();
    try {
      this.#open();
      const info = this.#probe(this.interfaceName);
      this.#state = info !== null && !info.up ? 'down' : 'up';
    } catch (err) {
      if (this.#options.waitForInterface !== true || errorCode(err) !== 'ENODEV') throw err;
      this.#log.warn({ err }, 'can interface missing; waiting for it');
      this.#state = 'gone';
    }
    const pollMs = this.#options.interfacePollMs ?? 1000;
    this.#pollTimer = setInterval(() => this.#pollInterface(), pollMs);
    this.#pollTimer.unref();
    this.#log.info({ mtu: this.mtu, fd: this.#fdCapable, state: this.#state }, 'can socket open');
    this.#scheduleFlush();
  }

  send(frame: CanFrame): boolean {
    if (this.#state === 'closed' || this.#closing !== null) return this.#dropOne(frame, 'closed');
    const fault = validateFrame(frame);
    // The timestamp is not sent on CAN; every other python-can rule applies.
    if (fault !== null && fault !== 'timestamp_invalid') {
      return this.#dropOne(
        frame,
        'invalid',
        new BridgeError('ERR_INVALID_FRAME', `invalid CAN frame: ${fault}`),
      );
    }
    if (frame.isFd && !this.#fdCapable && this.#state !== 'idle') {
      const why = this.#nativeOptions.fdFrames
        ? `interface MTU is ${this.mtu}, not ${CANFD_MTU}: classic CAN only`
        : 'the socket was opened without the fd option';
      return this.#dropOne(
        frame,
        'fd_unsupported',
        new BridgeError(
          'ERR_CAN_FD_UNSUPPORTED',
          `cannot send a CAN FD frame on ${this.interfaceName}: ${why}`,
        ),
      );
    }
    if (this.#txBlocked !== null) return this.#dropOne(frame, this.#txBlocked);
    this.#dropStale();
    if (this.#queue.full) return this.#dropOne(frame, 'queue_full');
    this.#queue.push(frame, this.#nowMs());
    this.#scheduleFlush();
    return true;
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing = new Promise<void>((resolve) => {
      this.#resolveClose = resolve;
    });
    if (this.#queue.length === 0 || this.#state === 'idle') {
      this.#finish();
    } else {
      const maxAge = this.#options.txMaxAgeMs ?? 1000;
      const timeout = this.#options.closeTimeoutMs ?? 5000;
      this.#closeTimer = setTimeout(
        () => this.#finish(),
        maxAge > 0 ? Math.min(maxAge, timeout) : timeout,
      );
      this.#flush();
    }
    return this.#closing;
  }

  destroy(err?: Error): void {
    if (this.#state === 'closed') return;
    this.#finish(err);
  }

  dropQueued(reason: CanTxDropReason): number {
    const frames = this.#queue.clear();
    if (frames.length > 0) this.#drop(frames, reason);
    if (this.#closing !== null) this.#finish();
    return frames.length;
  }

  setTxBlocked(reason: CanTxDropReason | null): void {
    this.#txBlocked = reason;
  }

  #finish(err?: Error): void {
    if (this.#state === 'closed') return;
    const rest = this.#queue.clear();
    if (rest.length > 0) this.#drop(rest, 'closed');
    this.#clearTimers();
    this.#closeHandle();
    this.#state = 'closed';
    this.#log.info({ counters: this.counters }, 'can socket closed');
    if (err !== undefined) this.emit('error', err);
    this.emit('close');
    this.#resolveClose?.();
    this.#resolveClose = null;
    this.#closing ??= Promise.resolve();
  }

  #clearTimers(): void {
    for (const t of [this.#pollTimer, this.#backoffTimer, this.#closeTimer]) {
      if (t !== null) clearTimeout(t);
    }
    this.#pollTimer = this.#backoffTimer = this.#closeTimer = null;
    if (this.#flushImmediate !== null) clearImmediate(this.#flushImmediate);
    this.#flushImmediate = null;
    this.#flushScheduled = false;
  }

  #open(): void {
    const binding = this.#binding ?? loadNativeBinding();
    const handle = new binding.RawCanSocket(this.interfaceName, this.#nativeOptions);
    const layout = CAN_RECORD_LAYOUT;
    this.#handle = handle;
    this.#rxBytes = new Uint8Array(handle.rxBuffer);
    this.#rxView = new DataView(handle.rxBuffer);
    if (this.#txBytes.length === 0) {
      this.#txBytes = new Uint8Array(CAN_RECORD_LAYOUT.txChunk * layout.txStride);
      this.#txView = new DataView(this.#txBytes.buffer);
    }
    this.#fdCapable = this.#nativeOptions.fdFrames === true && handle.mtu >= CANFD_MTU;
    this.#waitingWritable = false;
    handle.startReading(
      (count) => this.#onBatch(handle, count),
      (err) => this.#onSocketError(handle, err),
    );
  }

  #closeHandle(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#dropsBase += handle.drops;
    handle.close();
    this.#handle = null;
    this.#waitingWritable = false;
  }

  #onBatch(handle: RawCanSocketHandle, count: number): void {
    if (handle !== this.#handle || this.#binding === undefined) return;
    const layout = CAN_RECORD_LAYOUT;
    const fallback = this.#nativeOptions.timestamps === true ? 0 : Date.now() / 1000;
    const frames = new Array<CanFrame>(count);
    for (let i = 0; i < count; i++) {
      frames[i] = decodeKernelRecord(
        this.#rxBytes,
        this.#rxView,
        i * layout.recordSize,
        layout,
        this.#channel,
        fallback,
      );
    }
    this.#counters.rxFrames += count;
    this.#counters.rxBatches++;
    this.emit('frames', frames);
  }

  #onSocketError(handle: RawCanSocketHandle, err: NodeJS.ErrnoException): void {
    if (handle !== this.#handle) return;
    switch (err.code) {
      case 'ENETDOWN':
        this.#setState('down', err);
        return;
      case 'ENODEV':
      case 'ENXIO':
        this.#gone(err);
        this.#pollInterface();
        return;
      default:
        this.#counters.rxErrors++;
        if (err.syscall === 'uv_poll') {
          this.destroy(err);
          return;
        }
        this.#log.warn({ err }, 'can socket receive error');
    }
  }

  #setState(next: 'up' | 'down', err?: Error): void {
    if (this.#state === next || (this.#state !== 'up' && this.#state !== 'down')) return;
    this.#state = next;
    this.#emitState(next, err);
    if (next === 'up') {
      this.#backoffMs = 0;
      this.#scheduleFlush();
    }
  }

  #emitState(change: CanStateChange, err?: Error): void {
    // debug: the layer above (the bridge) logs each change once at info; this is the socket's view.
    this.#log.debug({ change, err }, 'can interface state');
    if (err === undefined) this.emit('state', change);
    else this.emit('state', change, err);
  }

  #gone(err?: Error): void {
    if (this.#state !== 'up' && this.#state !== 'down') return;
    this.#closeHandle();
    if (this.#backoffTimer !== null) clearTimeout(this.#backoffTimer);
    this.#backoffTimer = null;
    this.#state = 'gone';
    this.#emitState('gone', err);
  }

  #tryReopen(): void {
    try {
      this.#open();
    } catch (err) {
      // Raced with another removal, or not ready yet: try again at the next poll.
      this.#log.debug({ err }, 'can socket reopen failed');
      return;
    }
    this.#counters.reopens++;
    const info = this.#probe(this.interfaceName);
    this.#state = info !== null && !info.up ? 'down' : 'up';
    this.#emitState('back');
    if (this.#state === 'up') this.#emitState('up');
    this.#scheduleFlush();
  }

  #pollInterface(): void {
    this.#dropStale();
    const info = this.#probe(this.interfaceName);
    if (this.#state === 'gone') {
      if (info !== null) this.#tryReopen();
      return;
    }
    if (this.#state !== 'up' && this.#state !== 'down') return;
    if (info === null) {
      this.#gone();
    } else if (info.ifindex !== this.#handle?.ifindex) {
      // Deleted and re-created between two polls.
      this.#gone();
      this.#tryReopen();
    } else {
      this.#setState(info.up ? 'up' : 'down');
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Once per event-loop turn, in the check phase after poll: Node runs the microtask queue after
    // every callback from libuv (e.g. after each of the up to 32 datagrams uv__udp_recvmsg reads
    // per readiness, libuv src/unix/udp.c), so a microtask would send each frame alone. With
    // setImmediate, every frame queued by the callbacks of one poll phase shares one sendmmsg.
    this.#flushImmediate = setImmediate(() => {
      this.#flushImmediate = null;
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const handle = this.#handle;
    if (handle === null || this.#binding === undefined || this.#state !== 'up') return;
    if (this.#waitingWritable || this.#backoffTimer !== null) return;
    this.#dropStale();
    const layout = CAN_RECORD_LAYOUT;
    const queue = this.#queue;
    while (queue.length > 0) {
      const n = Math.min(queue.length, CAN_RECORD_LAYOUT.txChunk);
      for (let i = 0; i < n; i++) {
        encodeKernelFrame(
          queue.at(i) as CanFrame,
          this.#txBytes,
          this.#txView,
          i * layout.txStride,
          layout,
        );
      }
      const sent = handle.send(this.#txBytes, n);
      this.#counters.txBatches++;
      this.#counters.txFrames += sent;
      queue.shift(sent);
      if (sent > 0) this.#backoffMs = 0;
      if (sent === n) continue;
      const err = canSystemError(handle.sendErrno, 'sendmmsg', this.interfaceName);
      switch (errnoName(handle.sendErrno)) {
        case 'EAGAIN':
          // The socket's send buffer is full: poll for POLLOUT (socket(7) SO_SNDBUF).
          this.#counters.txWaits++;
          this.#waitingWritable = true;
          handle.waitWritable(() => {
            this.#waitingWritable = false;
            this.#flush();
          });
          return;
        case 'ENOBUFS': {
          // The device queue is full; POLLOUT says nothing about it, so back off on a timer.
          this.#counters.txBackoffs++;
          const min = this.#options.txBackoffMinMs ?? 1;
          const max = this.#options.txBackoffMaxMs ?? 100;
          this.#backoffMs = Math.min(max, Math.max(min, this.#backoffMs * 2));
          this.#backoffTimer = setTimeout(() => {
            this.#backoffTimer = null;
            this.#flush();
          }, this.#backoffMs);
          return;
        }
        case 'ENETDOWN':
          this.#setState('down', err);
          return;
        case 'ENODEV':
        case 'ENXIO':
          this.#gone(err);
          return;
        default:
          // This frame is refused (EINVAL: e.g. FD frame after the MTU went to 16); go on with the rest.
          this.#drop(queue.shift(1), 'rejected', err);
      }
    }
    if (this.#closing !== null) this.#finish();
  }

  #dropStale(): void {
    const maxAge = this.#options.txMaxAgeMs ?? 1000;
    if (maxAge <= 0) return;
    const stale = this.#queue.shiftOlderThan(this.#nowMs() - maxAge);
    if (stale.length > 0) this.#drop(stale, 'stale');
    if (this.#closing !== null && this.#queue.length === 0) this.#finish();
  }

  #dropOne(frame: CanFrame, reason: CanTxDropReason, err?: Error): false {
    this.#drop([frame], reason, err);
    return false;
  }

  #drop(frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error): void {
    this.#counters.txDropped[reason] += frames.length;
    this.#log.debug({ reason, count: frames.length, err }, 'can tx drop');
    if (err === undefined) this.emit('drop', frames, reason);
    else this.emit('drop', frames, reason, err);
  }
}
