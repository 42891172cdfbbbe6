/**
 * The UDP multicast endpoint, wire-compatible with python-can's `udp_multicast` interface
 * (python-can 4.1 can/interfaces/udp_multicast/bus.py `UdpMulticastBus`): frames in and out,
 * as an event and as async iterators, and the lifecycle. The sockets (two, bound, joined and
 * re-joined when the interface comes back) are multicast-sockets.ts's job, the unicast peers'
 * (multicast.peers) peer-links.ts's; sends are batched into one sendmmsg(2) per destination per
 * event-loop turn (send-queue.ts), receives arrive one recvmmsg(2) batch at a time from the addon
 * (native-udp-socket.ts).
 */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { CanFrame } from '../frame.js';
import { RateLimitedLog } from '../log/rate-limited-log.js';
import { systemTimers } from '../net/timers.js';
import type { Timers } from '../net/timers.js';
import { wallClockSeconds } from '../net/wall-clock.js';
import { decodeDatagram } from '../protocol/decode-datagram.js';
import { encodeFrameInto } from '../protocol/encode-frame.js';
import { MAX_DATAGRAM_BYTES } from '../protocol/wire-keys.js';
import { grouplessInfo, NO_GROUP, planPeers, validateBusOptions } from './bus-options.js';
import { createBusPeers } from './bus-peers.js';
import { createBusSockets } from './bus-sockets.js';
import { DEFAULT_PORT } from './defaults.js';
import { FrameFanOut } from './frame-fan-out.js';
import { MulticastError } from './multicast-error.js';
import type { MulticastSockets } from './multicast-sockets.js';
import type { PeerLinks } from './peer-links.js';
import { allDone, SendQueue } from './send-queue.js';
import type { SendDone } from './send-queue.js';
import type { DatagramSink } from './udp-socket.js';
import type {
  DatagramSource,
  MulticastBusDeps,
  MulticastBusEvents,
  MulticastBusInfo,
  MulticastBusOptions,
  MulticastBusStats,
  MulticastCodec,
  ReceivedFrame,
} from './multicast-bus-types.js';

type State = 'new' | 'starting' | 'open' | 'closing' | 'closed';

const WARN_INTERVAL_MS = 5000;

export class MulticastBus extends EventEmitter<MulticastBusEvents> {
  readonly #options: MulticastBusOptions;
  readonly #replaceTimestamp: boolean;
  readonly #loopback: boolean;
  readonly #log: Logger;
  readonly #codec: MulticastCodec;
  readonly #timers: Timers;
  readonly #clock: () => number;
  readonly #sockets: MulticastSockets;
  readonly #sendQueue: SendQueue;
  readonly #warnings: RateLimitedLog;
  readonly #deps: MulticastBusDeps;
  /** The unicast peers; null without (set by `start()`). */
  #peers: PeerLinks | null = null;
  /** Where a frame is encoded once for the group and every peer. */
  #scratch: Uint8Array | null = null;
  /** `info` of a bus without a group (peers only). */
  #peerInfo: MulticastBusInfo | null = null;

  /** Datagrams sent while the kernel own-echo filter was on (each comes back and is dropped). */
  #echoesFiltered = 0;
  #kernelDrops = 0;
  #state: State = 'new';
  #startPromise: Promise<void> | null = null;
  #closePromise: Promise<void> | null = null;
  readonly #iterators: FrameFanOut<ReceivedFrame>;
  readonly #stats: MulticastBusStats = {
    datagrams: 0,
    received: 0,
    sent: 0,
    sendErrors: 0,
    receiveErrors: 0,
    rejoins: 0,
    kernelDrops: 0,
    receiveBatches: 0,
    receiveBatchMax: 0,
    sendBatches: 0,
    sendBatchMax: 0,
    dropped: {},
    peers: [],
  };

  /**
   * `options` say what to open; `deps` bring the collaborators (sockets, codec, interfaces,
   * timers, clock, logger), each with a real default, so tests need no module mocks.
   */
  constructor(options: MulticastBusOptions = {}, deps: MulticastBusDeps = {}) {
    super();
    this.#options = options;
    this.#deps = deps;
    this.#replaceTimestamp = (options.timestamps ?? 'receive') === 'receive';
    this.#loopback = options.loopback ?? true;
    this.#iterators = new FrameFanOut(options.iteratorHighWaterMark ?? 10_000);
    this.#codec = deps.codec ?? { encodeFrameInto, decodeDatagram };
    this.#timers = deps.timers ?? systemTimers;
    this.#clock = deps.clock ?? wallClockSeconds(this.#timers);
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'multicast' });
    this.#warnings = new RateLimitedLog(this.#log, {
      intervalMs: WARN_INTERVAL_MS,
      now: () => this.#timers.now(),
    });
    const warn = (key: string, fields: Record<string, unknown>, msg: string): void =>
      this.#warn(key, fields, msg);
    this.#sendQueue = new SendQueue({
      encodeInto: (frame, target, offset) => this.#codec.encodeFrameInto(frame, target, offset),
      onSent: (count) => {
        this.#stats.sent += count;
        if (this.#loopback && this.#sockets.echoFilterActive()) this.#echoesFiltered += count;
      },
      onError: (err) => {
        this.#stats.sendErrors++;
        this.#warn('send', { err }, 'multicast send failed');
        this.#sockets.sendFailed(err);
      },
      after: (ms, fn) => this.#timers.after(ms, fn),
    });
    this.#sockets = createBusSockets(options, deps, {
      timers: this.#timers,
      log: this.#log,
      warn,
      sink: this.#sink,
      stats: this.#stats,
      isOpen: () => this.#state === 'open',
      onSendTarget: (target) => this.#sendQueue.setTarget(target),
    });
  }

  /** Group, port, interface and buffer sizes in effect; null before `start()` resolved. */
  get info(): MulticastBusInfo | null {
    return this.#sockets.info ?? this.#peerInfo;
  }

  /** Whether the bus sends to and receives from a group (not "none", peers only). */
  get #grouped(): boolean {
    return this.#options.group !== NO_GROUP;
  }

  /** A copy of the counters. */
  stats(): MulticastBusStats {
    const stats = this.#stats;
    stats.rejoins = this.#sockets.rejoins;
    // The socket's drop count also holds our own echoes that the kernel filter dropped: only the
    // rest were lost to a full buffer. Kept monotonic: an echo may be counted as sent a moment
    // before the kernel has looped it back and dropped it.
    const overflow =
      this.#sockets.kernelDrops() - this.#echoesFiltered + (this.#peers?.kernelDrops() ?? 0);
    if (overflow > this.#kernelDrops) this.#kernelDrops = overflow;
    stats.kernelDrops = this.#kernelDrops;
    stats.sendBatches = this.#sendQueue.batches;
    stats.sendBatchMax = this.#sendQueue.maxBatch;
    return { ...stats, dropped: { ...stats.dropped }, peers: this.#peers?.stats() ?? [] };
  }

  /**
   * Opens both sockets, binds and joins the group, opens the peers' sockets and resolves their
   * names (a name not resolved is warned about and tried again later, it does not fail the start).
   * Rejects with a `MulticastError` (ERR_INVALID_GROUP, ERR_INVALID_OPTION, ERR_UNKNOWN_INTERFACE,
   * ERR_MULTICAST_BIND, ERR_MULTICAST_JOIN, ERR_MULTICAST_SOCKET), after which the bus is closed.
   * Idempotent: every call returns the same promise.
   */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(this.#closedError());
    }
    if (this.#startPromise === null) {
      this.#state = 'starting';
      // Opened on the next microtask, not in this call: a close() or destroy() right after
      // start() wins, and start() never throws synchronously.
      this.#startPromise = Promise.resolve()
        .then(async () => {
          if (this.#state !== 'starting') throw this.#closedError();
          validateBusOptions(this.#options);
          const plan = planPeers(this.#options);
          if (this.#grouped) this.#sockets.open();
          if (plan !== null) {
            const peers = createBusPeers(plan, this.#options, this.#deps, {
              timers: this.#timers,
              clock: this.#clock,
              log: this.#log,
              warn: (key, fields, msg) => this.#warn(key, fields, msg),
              sink: this.#sink,
              stats: this.#stats,
              drop: (reason) => this.#drop(reason),
              isOpen: () => this.#state === 'open',
            });
            this.#peers = peers;
            this.#scratch = new Uint8Array(MAX_DATAGRAM_BYTES);
            peers.open(this.#sockets.info?.port ?? this.#options.port ?? DEFAULT_PORT);
            if (!this.#grouped)
              this.#peerInfo = grouplessInfo(this.#options, plan.family, peers.port);
            await peers.resolve();
            if (this.#state !== 'starting') throw this.#closedError();
          }
          this.#state = 'open';
          this.#log.info(
            { ...this.info, peers: this.#options.peers ?? [] },
            'multicast bus started',
          );
        })
        .catch((err: unknown) => {
          this.#teardown();
          throw err;
        });
    }
    return this.#startPromise;
  }

  /**
   * Encodes and queues one frame; the queue goes out once per event-loop turn in one sendmmsg.
   * Throws the codec's error (ERR_INVALID_FRAME) for a frame python-can would reject, and
   * ERR_BUS_NOT_STARTED / ERR_BUS_CLOSED; nothing is sent then. A failure of the send itself is
   * counted in `sendErrors` and logged (rate-limited), not thrown; use `sendAsync` to await it.
   */
  send(frame: CanFrame): void {
    this.#transmit(frame, null);
  }

  /** `send`, resolving once the kernel took the datagram; rejects with ERR_MULTICAST_SEND if not. */
  sendAsync(frame: CanFrame): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#transmit(frame, (err) =>
        err === null
          ? resolve()
          : reject(new MulticastError('ERR_MULTICAST_SEND', 'cannot send the datagram', err)),
      );
    });
  }

  #transmit(frame: CanFrame, done: SendDone | null): void {
    if (this.#state !== 'open') {
      throw this.#state === 'new' || this.#state === 'starting'
        ? new MulticastError('ERR_BUS_NOT_STARTED', 'the multicast bus is not started')
        : this.#closedError();
    }
    const peers = this.#peers;
    if (peers === null) {
      if (!this.#sendQueue.push(frame, done)) this.#queueFull(done, 'the group');
      return;
    }
    // Encoded once (throwing for an invalid frame before anything is queued), copied per destination.
    const scratch = this.#scratch as Uint8Array;
    const datagram = scratch.subarray(0, this.#codec.encodeFrameInto(frame, scratch, 0));
    const destinations = (this.#grouped ? 1 : 0) + peers.reachable();
    if (destinations === 0) {
      this.#drop('no_destination');
      done?.(new MulticastError('ERR_MULTICAST_SEND', 'no destination: no peer name resolved yet'));
      return;
    }
    const joined = done === null ? null : allDone(destinations, done);
    if (this.#grouped && !this.#sendQueue.pushDatagram(datagram, joined)) {
      this.#queueFull(joined, 'the group');
    }
    peers.push(datagram, joined, (peer) => this.#queueFull(null, peer));
  }

  /** The kernel has taken nothing for a whole buffer of datagrams to `to`: this one is lost. */
  #queueFull(done: SendDone | null, to: string): void {
    this.#stats.sendErrors++;
    this.#drop('send_queue_full');
    const err = new MulticastError('ERR_MULTICAST_SEND', `the send queue of ${to} is full`);
    this.#warn(`send-queue:${to}`, { err }, 'multicast send queue full');
    done?.(err);
  }

  /**
   * An async iterator over received frames from now on; it ends when the bus closes and rejects
   * with the error of `destroy(err)`. Each iterator gets every frame.
   */
  frames(): AsyncIterableIterator<ReceivedFrame> {
    // Ended at once once the bus is closing or closed (close() and destroy() end the fan-out).
    return this.#iterators.open();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ReceivedFrame> {
    return this.frames();
  }

  readonly #sink: DatagramSink = {
    datagram: (payload, source, truncated) => this.#onDatagram(payload, source, truncated),
    batch: (count) => {
      this.#stats.receiveBatches++;
      if (count > this.#stats.receiveBatchMax) this.#stats.receiveBatchMax = count;
    },
  };

  #onDatagram(payload: Uint8Array, source: DatagramSource, truncated: boolean): void {
    const stats = this.#stats;
    stats.datagrams++;
    if (this.#state !== 'open') return;
    if (this.#sockets.isOwnEcho(source.address, source.port)) {
      this.#drop('own_echo');
      return;
    }
    let result: ReturnType<MulticastCodec['decodeDatagram']>;
    if (truncated) {
      // Longer than python-can reads (4096 bytes): a python-can receiver fails on it too.
      result = { ok: false, reason: 'too_large' };
    } else {
      try {
        result = this.#codec.decodeDatagram(payload);
      } catch (err) {
        // The codec promises not to throw; should it, the receive loop still must not die.
        result = { ok: false, reason: 'decoder_exception' };
        this.#log.debug({ err }, 'decoder threw');
      }
    }
    if (!result.ok) {
      this.#drop(result.reason);
      if (this.#log.isLevelEnabled('debug')) {
        this.#log.debug(
          { reason: result.reason, from: source.address, fromPort: source.port, size: source.size },
          'datagram dropped',
        );
      }
      return;
    }
    const frame = result.frame;
    const senderTimestamp = frame.timestamp;
    if (this.#replaceTimestamp) frame.timestamp = this.#clock();
    stats.received++;
    const rx: ReceivedFrame = { frame, senderTimestamp, source };
    for (let n = this.#iterators.push(rx); n > 0; n--) this.#drop('iterator_overflow');
    this.emit('frame', rx);
  }

  #drop(reason: string): void {
    const dropped = this.#stats.dropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  }

  /** Warns at most once per 5 s per `key`; the next line says how many were suppressed. */
  #warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.#warnings.warn(key, fields, msg);
  }

  /**
   * Stops receiving, sends what is queued, closes both sockets and ends the iterators.
   * Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closePromise !== null) return this.#closePromise;
    this.#closePromise = (async () => {
      if (this.#state === 'starting') await this.#startPromise?.catch(() => undefined);
      if (this.#state === 'closed') return;
      this.#state = 'closing';
      this.#iterators.end();
      this.#sendQueue.flush();
      this.#peers?.flush();
      await Promise.all([this.#sendQueue.drained(), this.#peers?.drained()]);
      this.#teardown();
      this.#log.info({ ...this.stats() }, 'multicast bus closed');
    })();
    return this.#closePromise;
  }

  /** Closes now: queued sends are abandoned, iterators reject with `err` (if given). */
  destroy(err?: Error): void {
    if (this.#state === 'closed') return;
    this.#iterators.end(err);
    this.#teardown();
    this.#closePromise ??= Promise.resolve();
    if (err !== undefined) {
      this.#log.error({ err }, 'multicast bus destroyed');
      if (this.listenerCount('error') > 0) this.emit('error', err);
    }
  }

  #teardown(): void {
    const wasClosed = this.#state === 'closed';
    this.#state = 'closed';
    this.#sockets.close();
    this.#sendQueue.clear(this.#closedError());
    this.#peers?.close(this.#closedError());
    this.#iterators.end();
    if (!wasClosed) this.emit('close');
  }

  #closedError(): MulticastError {
    return new MulticastError('ERR_BUS_CLOSED', 'the multicast bus is closed');
  }
}
