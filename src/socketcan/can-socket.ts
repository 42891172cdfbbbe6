/**
 * `CanSocket`: the native raw CAN socket plus the policy around it: decoding batches into
 * `CanFrame`s, a bounded TX queue that waits for writability (EAGAIN) or backs off (ENOBUFS)
 * without blocking the event loop, stale-frame drops, counters, and riding through interface
 * down/up and deletion/re-creation as the interface monitor (src/net/interface-monitor.ts) sees
 * them: reopened on `back`. For programs using it as a library (`can-multicast-bridge/socketcan`):
 * `CanSocket.open(name)`, `for await (const frame of socket)` (bounded per iterator, see
 * multicast/frame-fan-out.ts), and `write(frame)`, whose promise settles when the kernel took the frame
 * or it was dropped (can-tx-tracker.ts); `send()` is the relay's fire-and-forget form of it.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { asError, BridgeError, errorCode } from '../errors.js';
import type { CanChannel, CanFrame } from '../frame.js';
import type {
  CanSocketCounters,
  CanSocketEvents,
  CanSocketLike,
  CanSocketState,
  CanTxDropReason,
} from './can-socket-like.js';
import { zeroCounters } from './can-socket-like.js';
import { isInterfaceName } from '../net/interface-name.js';
import type { LinkReader } from '../net/interface-reader.js';
import { readSysfsLink } from '../net/interface-reader.js';
import type { CancelTimer, Timers } from '../net/timers.js';
import { systemTimers } from '../net/timers.js';
import { CanInterfaceFollower } from './can-interface-follower.js';
import { canOpenError } from './can-open-error.js';
import type { CanSocketDeps, CanSocketOptions } from './can-socket-options.js';
import { rawCanSocketOptions, txWriterOptions } from './can-socket-options.js';
import { CANFD_MTU } from '../can/linux-can.js';
import { FrameFanOut } from '../multicast/frame-fan-out.js';
import { canTxRefusal } from './can-tx-refusal.js';
import { CanTxTracker } from './can-tx-tracker.js';
import { CanTxWriter } from './can-tx-writer.js';
import { decodeKernelBatch } from './kernel-frame.js';
import type {
  NativeBinding,
  RawCanSocketHandle,
  RawCanSocketOptions,
} from '../native/native-binding.js';
import { loadNativeBinding } from '../native/native-binding.js';

export class CanSocket extends EventEmitter<CanSocketEvents> implements CanSocketLike {
  readonly interfaceName: string;
  readonly #options: CanSocketOptions;
  readonly #nativeOptions: RawCanSocketOptions;
  readonly #link: CanInterfaceFollower;
  readonly #pollMs: number;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #nowMs: () => number;
  readonly #channel: CanChannel;
  readonly #readLink: LinkReader;
  #binding: NativeBinding | undefined;
  #handle: RawCanSocketHandle | null = null;
  #rxBytes = new Uint8Array(0);
  #rxView = new DataView(this.#rxBytes.buffer);
  /** While 'open', the state is the interface's (`#link.state`). */
  #phase: 'idle' | 'open' | 'closed' = 'idle';
  #startPromise: Promise<void> | null = null;
  #fdCapable = false;
  #counters = zeroCounters();
  #dropsBase = 0;
  readonly #tx: CanTxWriter;
  #stopSweep: CancelTimer | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #resolveClose: (() => void) | null = null;
  #txBlocked: CanTxDropReason | null = null;
  readonly #iterators: FrameFanOut<CanFrame>;
  readonly #writes: CanTxTracker;
  /** `send()` refused a frame as queue_full: 'drain' when the queue is empty again. */
  #wantDrain = false;

  /**
   * Opens a socket on `interfaceName` (e.g. "vcan0"): `new CanSocket(...)` and `start()`; rejects
   * with ERR_CAN_OPEN as `start()` does.
   */
  static async open(
    interfaceName: string,
    options: Omit<CanSocketOptions, 'interface'> = {},
    deps: CanSocketDeps = {},
  ): Promise<CanSocket> {
    const socket = new CanSocket({ ...options, interface: interfaceName }, deps);
    try {
      await socket.start();
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return socket;
  }

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
    const timers = deps.timers ?? systemTimers;
    this.#timers = timers;
    this.#pollMs = options.interfacePollMs ?? 1000;
    this.#readLink = deps.readLink ?? readSysfsLink;
    this.#log = (deps.logger ?? pino({ enabled: false })).child({
      component: 'can-socket',
      iface: options.interface,
    });
    this.#link = new CanInterfaceFollower(
      { interface: options.interface, pollMs: this.#pollMs },
      { readLink: this.#readLink, timers, log: this.#log },
      {
        open: () => this.#open(),
        lost: () => {
          this.#closeHandle();
          this.#tx.stopBackoff();
        },
        reopened: () => {
          this.#counters.reopens++;
          this.#tx.scheduleFlush();
        },
        resumed: () => {
          this.#tx.resetBackoff();
          this.#tx.scheduleFlush();
        },
        changed: (change, err) => {
          // debug: the layer above (the bridge) logs each change once at info; this is the socket's view.
          this.#log.debug({ change, err }, 'can interface state');
          if (err === undefined) this.emit('state', change);
          else this.emit('state', change, err);
        },
      },
    );
    this.#nowMs = deps.nowMs ?? (() => timers.now());
    this.#iterators = new FrameFanOut<CanFrame>(options.iteratorHighWaterMark ?? 10_000);
    this.#writes = new CanTxTracker(options.interface);
    this.#channel = options.channel === undefined ? options.interface : options.channel;
    this.#tx = new CanTxWriter(txWriterOptions(options), this.#counters, this.#nowMs, {
      writable: () => (this.state === 'up' ? this.#handle : null),
      down: (err) => this.#link.down(err),
      gone: (err) => this.#link.gone(err),
      sent: (frames) => this.#writes.accepted(frames),
      drop: (frames, reason, err) => this.#drop(frames, reason, err),
      drained: () => {
        if (this.#wantDrain) {
          this.#wantDrain = false;
          this.emit('drain');
        }
        if (this.#closing !== null) this.#finish();
      },
    });
    this.#nativeOptions = rawCanSocketOptions(options);
  }

  get state(): CanSocketState {
    return this.#phase === 'open' ? this.#link.state : this.#phase;
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
      rxIteratorDrops: this.#iterators.drops,
      txDropped: { ...c.txDropped },
      txQueued: this.#tx.queue.length,
    };
  }

  /**
   * Opens the socket (synchronously: frames can be sent and received once this returns) and
   * starts watching the interface. Idempotent: every call returns the same promise, which rejects
   * with ERR_CAN_OPEN (its message one line with the cause and a hint; `sysCode`/`errno`/`syscall`
   * from the addon's error, e.g. ENODEV; the addon's or ERR_CAN_ADDON as `cause`) or with
   * ERR_CAN_SOCKET_CLOSED.
   */
  start(): Promise<void> {
    if (this.#startPromise === null) {
      try {
        this.#start();
        this.#startPromise = Promise.resolve();
      } catch (err) {
        this.#startPromise = Promise.reject(
          errorCode(err) === 'ERR_CAN_SOCKET_CLOSED'
            ? asError(err)
            : canOpenError(this.interfaceName, err, (name) => this.#readLink(name) !== null),
        );
      }
    }
    return this.#startPromise;
  }

  #start(): void {
    if (this.#phase !== 'idle') {
      throw new BridgeError(
        'ERR_CAN_SOCKET_CLOSED',
        `CAN socket on ${this.interfaceName} is closed`,
      );
    }
    this.#binding ??= loadNativeBinding();
    let ifindex: number | null;
    try {
      ifindex = this.#open();
    } catch (err) {
      if (this.#options.waitForInterface !== true || errorCode(err) !== 'ENODEV') throw err;
      this.#log.warn({ err }, 'can interface missing; waiting for it');
      ifindex = null;
    }
    this.#phase = 'open';
    this.#link.start(ifindex);
    // Queued frames age while the interface is down or gone: drop the stale ones at each look.
    this.#stopSweep = this.#timers.every(this.#pollMs, () => this.#tx.dropStale());
    this.#log.info({ mtu: this.mtu, fd: this.#fdCapable, state: this.state }, 'can socket open');
    this.#tx.scheduleFlush();
  }

  /**
   * Queues a frame; false when it was dropped at once (the 'drop' event says why; after a
   * 'queue_full' drop, 'drain' says when the queue is empty again). For the relay, which counts.
   */
  send(frame: CanFrame): boolean {
    if (this.#phase === 'closed' || this.#closing !== null) return this.#dropOne(frame, 'closed');
    const refusal = canTxRefusal(frame, {
      interfaceName: this.interfaceName,
      opened: this.#phase !== 'idle',
      fdCapable: this.#fdCapable,
      fdOption: this.#nativeOptions.fdFrames === true,
      mtu: this.mtu,
    });
    if (refusal !== null) return this.#dropOne(frame, refusal.reason, refusal.err);
    if (this.#txBlocked !== null) return this.#dropOne(frame, this.#txBlocked);
    if (this.#tx.push(frame)) return true;
    this.#wantDrain = true;
    return this.#dropOne(frame, 'queue_full');
  }

  /**
   * Queues a shallow copy of `frame` (its `data` is read when the frame is written: leave it
   * unchanged until the promise settles). The promise fulfils when the kernel took the frame and
   * rejects with a `CanTxDropError` (code ERR_CAN_TX_DROPPED, its `reason`) when it is dropped:
   * at once when invalid, FD on a classic socket, the queue full or the socket closed; later when
   * it went stale (`txMaxAgeMs`) or the kernel refused it. Awaiting each write sends one frame
   * per event-loop turn; keeping up to `txQueueLimit` writes in flight fills the batches.
   */
  write(frame: CanFrame): Promise<void> {
    const own = { ...frame };
    const done = this.#writes.track(own);
    this.send(own);
    return done;
  }

  /**
   * An async iterator over the frames received from now on, one at a time, oldest first. It
   * ends when the socket closes (after the frames it holds) and rejects with the error of
   * `destroy(err)`. Bounded: while it is `iteratorHighWaterMark` frames behind, new frames are
   * dropped for it and counted as `rxIteratorDrops` (reading never waits for a consumer).
   */
  frames(): AsyncIterableIterator<CanFrame> {
    return this.#iterators.open();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CanFrame> {
    return this.frames();
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#phase === 'closed') return Promise.resolve();
    this.#closing = new Promise<void>((resolve) => {
      this.#resolveClose = resolve;
    });
    if (this.#tx.queue.length === 0 || this.#phase === 'idle') {
      this.#finish();
    } else {
      const maxAge = this.#options.txMaxAgeMs ?? 1000;
      const timeout = this.#options.closeTimeoutMs ?? 5000;
      this.#closeTimer = setTimeout(
        () => this.#finish(),
        maxAge > 0 ? Math.min(maxAge, timeout) : timeout,
      );
      this.#tx.flush();
    }
    return this.#closing;
  }

  destroy(err?: Error): void {
    if (this.#phase === 'closed') return;
    this.#finish(err);
  }

  dropQueued(reason: CanTxDropReason): number {
    const frames = this.#tx.queue.clear();
    if (frames.length > 0) this.#drop(frames, reason);
    if (this.#closing !== null) this.#finish();
    return frames.length;
  }

  setTxBlocked(reason: CanTxDropReason | null): void {
    this.#txBlocked = reason;
  }

  #finish(err?: Error): void {
    if (this.#phase === 'closed') return;
    const rest = this.#tx.queue.clear();
    if (rest.length > 0) this.#drop(rest, 'closed');
    this.#clearTimers();
    this.#closeHandle();
    this.#phase = 'closed';
    this.#iterators.end(err);
    this.#log.info({ counters: this.counters }, 'can socket closed');
    if (err !== undefined) this.emit('error', err);
    this.emit('close');
    this.#resolveClose?.();
    this.#resolveClose = null;
    this.#closing ??= Promise.resolve();
  }

  #clearTimers(): void {
    this.#link.close();
    this.#stopSweep?.();
    this.#stopSweep = null;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    this.#tx.stop();
  }

  /** Opens the raw socket and starts reading; returns its ifindex. */
  #open(): number {
    const binding = this.#binding ?? loadNativeBinding();
    const handle = new binding.RawCanSocket(this.interfaceName, this.#nativeOptions);
    this.#handle = handle;
    this.#rxBytes = new Uint8Array(handle.rxBuffer);
    this.#rxView = new DataView(handle.rxBuffer);
    this.#fdCapable = this.#nativeOptions.fdFrames === true && handle.mtu >= CANFD_MTU;
    this.#tx.socketChanged();
    handle.startReading(
      (count) => this.#onBatch(handle, count),
      (err) => this.#onSocketError(handle, err),
    );
    return handle.ifindex;
  }

  #closeHandle(): void {
    const handle = this.#handle;
    if (handle === null) return;
    this.#dropsBase += handle.drops;
    handle.close();
    this.#handle = null;
    this.#tx.socketChanged();
  }

  #onBatch(handle: RawCanSocketHandle, count: number): void {
    if (handle !== this.#handle || this.#binding === undefined) return;
    const fallback = this.#nativeOptions.timestamps === true ? 0 : Date.now() / 1000;
    const frames = decodeKernelBatch(this.#rxBytes, this.#rxView, count, this.#channel, fallback);
    this.#counters.rxFrames += count;
    this.#counters.rxBatches++;
    this.#iterators.pushAll(frames);
    this.emit('frames', frames);
  }

  #onSocketError(handle: RawCanSocketHandle, err: NodeJS.ErrnoException): void {
    if (handle !== this.#handle) return;
    switch (err.code) {
      case 'ENETDOWN':
        this.#link.down(err);
        return;
      case 'ENODEV':
      case 'ENXIO':
        // Gone for the socket; look now whether it is back already.
        this.#link.gone(err);
        this.#tx.dropStale();
        this.#link.look();
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

  #dropOne(frame: CanFrame, reason: CanTxDropReason, err?: Error): false {
    this.#drop([frame], reason, err);
    return false;
  }

  #drop(frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error): void {
    this.#counters.txDropped[reason] += frames.length;
    this.#writes.dropped(frames, reason, err);
    this.#log.debug({ reason, count: frames.length, err }, 'can tx drop');
    if (err === undefined) this.emit('drop', frames, reason);
    else this.emit('drop', frames, reason, err);
  }
}
