/**
 * `CanSocket`'s send side: the bounded TX queue, written with one sendmmsg per event-loop turn
 * (up to the addon's TX chunk per call), waiting for writability on EAGAIN and backing off on a
 * timer on ENOBUFS without blocking the event loop, and dropping frames that waited too long.
 * Which socket to write to, and what ENETDOWN / ENODEV mean for it, is the socket's business.
 */
import type { CanFrame } from '../frame.js';
import type { RawCanSocketHandle } from '../native/native-binding.js';
import type { CanSocketCounters, CanTxDropReason } from './can-socket-like.js';
import { encodeKernelFrame } from './kernel-frame.js';
import { CAN_RECORD_LAYOUT } from './record-layout.js';
import { canSystemError, errnoName } from './system-error.js';
import { TxQueue } from './tx-queue.js';

export interface CanTxWriterOptions {
  interfaceName: string;
  /** Most frames waiting to be sent. */
  queueLimit: number;
  /** Drop queued frames older than this (ms); 0 never. */
  maxAgeMs: number;
  /** First and longest wait after ENOBUFS (ms), doubling. */
  backoffMinMs: number;
  backoffMaxMs: number;
}

/** What the writer asks of the socket. */
export interface CanTxHost {
  /** The raw socket when frames can be written now (open and up), else null. */
  writable(): RawCanSocketHandle | null;
  /** A write said ENETDOWN. */
  down(err: Error): void;
  /** A write said ENODEV or ENXIO. */
  gone(err: Error): void;
  /** The kernel took these frames. */
  sent(frames: readonly CanFrame[]): void;
  /** Frames dropped, counted by the socket. */
  drop(frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error): void;
  /** Everything queued was written or dropped (`close()` may finish). */
  drained(): void;
}

export class CanTxWriter {
  readonly queue: TxQueue;
  readonly #options: CanTxWriterOptions;
  readonly #counters: CanSocketCounters;
  readonly #nowMs: () => number;
  readonly #host: CanTxHost;
  readonly #bytes = new Uint8Array(CAN_RECORD_LAYOUT.txChunk * CAN_RECORD_LAYOUT.txStride);
  readonly #view = new DataView(this.#bytes.buffer);
  #flushScheduled = false;
  #flushImmediate: NodeJS.Immediate | null = null;
  #waitingWritable = false;
  #backoffTimer: NodeJS.Timeout | null = null;
  #backoffMs = 0;

  /** `counters`: the socket's, whose tx counts the writer keeps. */
  constructor(
    options: CanTxWriterOptions,
    counters: CanSocketCounters,
    nowMs: () => number,
    host: CanTxHost,
  ) {
    this.queue = new TxQueue(options.queueLimit);
    this.#options = options;
    this.#counters = counters;
    this.#nowMs = nowMs;
    this.#host = host;
  }

  /** Queues `frame` (after dropping stale ones) and schedules a flush; false when full. */
  push(frame: CanFrame): boolean {
    this.dropStale();
    if (this.queue.full) return false;
    this.queue.push(frame, this.#nowMs());
    this.scheduleFlush();
    return true;
  }

  /** The raw socket was opened or closed: a wait for writability on the old one is over. */
  socketChanged(): void {
    this.#waitingWritable = false;
  }

  /** Up again: the next ENOBUFS waits the shortest time. */
  resetBackoff(): void {
    this.#backoffMs = 0;
  }

  /** The socket is gone: no backoff timer flushes into the next one. */
  stopBackoff(): void {
    if (this.#backoffTimer !== null) clearTimeout(this.#backoffTimer);
    this.#backoffTimer = null;
  }

  /** Cancels every timer and the pending flush. */
  stop(): void {
    this.stopBackoff();
    if (this.#flushImmediate !== null) clearImmediate(this.#flushImmediate);
    this.#flushImmediate = null;
    this.#flushScheduled = false;
  }

  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Once per event-loop turn, in the check phase after poll: Node runs the microtask queue after
    // every callback from libuv (e.g. after each of the up to 32 datagrams uv__udp_recvmsg reads
    // per readiness, libuv src/unix/udp.c), so a microtask would send each frame alone. With
    // setImmediate, every frame queued by the callbacks of one poll phase shares one sendmmsg.
    this.#flushImmediate = setImmediate(() => {
      this.#flushImmediate = null;
      this.#flushScheduled = false;
      this.flush();
    });
  }

  flush(): void {
    const handle = this.#host.writable();
    if (handle === null) return;
    if (this.#waitingWritable || this.#backoffTimer !== null) return;
    this.dropStale();
    const layout = CAN_RECORD_LAYOUT;
    const queue = this.queue;
    while (queue.length > 0) {
      const n = Math.min(queue.length, layout.txChunk);
      for (let i = 0; i < n; i++) {
        encodeKernelFrame(
          queue.at(i) as CanFrame,
          this.#bytes,
          this.#view,
          i * layout.txStride,
          layout,
        );
      }
      const sent = handle.send(this.#bytes, n);
      this.#counters.txBatches++;
      this.#counters.txFrames += sent;
      if (sent > 0) {
        this.#host.sent(queue.shift(sent));
        this.#backoffMs = 0;
      }
      if (sent === n) continue;
      const err = canSystemError(handle.sendErrno, 'sendmmsg', this.#options.interfaceName);
      switch (errnoName(handle.sendErrno)) {
        case 'EAGAIN':
          // The socket's send buffer is full: poll for POLLOUT (socket(7) SO_SNDBUF).
          this.#counters.txWaits++;
          this.#waitingWritable = true;
          handle.waitWritable(() => {
            this.#waitingWritable = false;
            this.flush();
          });
          return;
        case 'ENOBUFS': {
          // The device queue is full; POLLOUT says nothing about it, so back off on a timer.
          this.#counters.txBackoffs++;
          const { backoffMinMs: min, backoffMaxMs: max } = this.#options;
          this.#backoffMs = Math.min(max, Math.max(min, this.#backoffMs * 2));
          this.#backoffTimer = setTimeout(() => {
            this.#backoffTimer = null;
            this.flush();
          }, this.#backoffMs);
          return;
        }
        case 'ENETDOWN':
          this.#host.down(err);
          return;
        case 'ENODEV':
        case 'ENXIO':
          this.#host.gone(err);
          return;
        default:
          // This frame is refused (EINVAL: e.g. FD frame after the MTU went to 16); go on with the rest.
          this.#host.drop(queue.shift(1), 'rejected', err);
      }
    }
    this.#host.drained();
  }

  /** Drops the frames queued longer than `maxAgeMs`. */
  dropStale(): void {
    const maxAge = this.#options.maxAgeMs;
    if (maxAge <= 0) return;
    const stale = this.queue.shiftOlderThan(this.#nowMs() - maxAge);
    if (stale.length > 0) this.#host.drop(stale, 'stale');
    if (this.queue.length === 0) this.#host.drained();
  }
}
