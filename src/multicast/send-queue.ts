/**
 * The send side of the multicast endpoint: datagrams are encoded straight into one shared buffer
 * and flushed once per event-loop turn with one sendmmsg(2) (the addon's `send`), so the frames
 * of one CAN read go out in one system call. EAGAIN waits for writability and ENOBUFS for a short
 * pause, never blocking the loop; any other error fails the one datagram it names and the rest go
 * on. No sockets of its own: the bus says which socket and destination are current.
 */
import { errnoName } from '../socketcan/system-error.js';
import type { CanFrame } from '../frame.js';
import { MAX_DATAGRAM_BYTES } from '../protocol/wire-keys.js';
import type { CancelTimer } from '../net/timers.js';
import type { Destination, UdpSocket } from './udp-socket.js';

/** Called once the kernel took (null) or refused (the error) one datagram. */
export type SendDone = (err: NodeJS.ErrnoException | null) => void;

/** Where the queue sends now; null while the bus has no send socket. */
export interface SendTarget {
  socket: UdpSocket;
  /** undefined: the socket is connected to the group. */
  to: Destination | undefined;
}

export interface SendQueueOptions {
  /** Encodes `frame` at `offset` of `target`, returning the end offset; throws for an invalid frame. */
  encodeInto(frame: CanFrame, target: Uint8Array, offset: number): number;
  /** Bytes of the shared buffer (at least one largest datagram); default 256 KiB. */
  bufferBytes?: number;
  /** Datagrams per flush at most (sendmmsg takes 1024); default 1024. */
  maxDatagrams?: number;
  /** `count` datagrams went out in one system call. */
  onSent(count: number): void;
  /** One datagram failed (it is gone). */
  onError(err: NodeJS.ErrnoException): void;
  /** How long to pause after ENOBUFS, ms; default 1. */
  retryMs?: number;
  /** A one-shot timer (the bus's, so tests drive it). */
  after(ms: number, fn: () => void): CancelTimer;
}

/** sendmmsg(2) errors that mean "not now", not "never": the datagrams wait (udp(7), ip(7)). */
const WAIT_FOR_WRITABLE = new Set(['EAGAIN', 'EWOULDBLOCK']);
const PAUSE = new Set(['ENOBUFS', 'ENOMEM']);

export class SendQueue {
  readonly #options: SendQueueOptions;
  readonly #data: Uint8Array;
  readonly #lengths: Uint32Array;
  readonly #dones: (SendDone | null)[] = [];
  /** Bytes used in `#data`. */
  #used = 0;
  /** Datagrams queued; the first `#head` of them already went out. */
  #count = 0;
  #head = 0;
  #headOffset = 0;
  #scheduled = false;
  /** Waiting for writability or a pause after ENOBUFS. */
  #blocked = false;
  #cancelPause: CancelTimer | null = null;
  #target: SendTarget | null = null;
  #drained: (() => void)[] = [];
  /** Flushes that sent something, and the most datagrams one of them sent. */
  batches = 0;
  maxBatch = 0;

  constructor(options: SendQueueOptions) {
    this.#options = options;
    const bytes = Math.max(options.bufferBytes ?? 256 * 1024, MAX_DATAGRAM_BYTES);
    this.#data = new Uint8Array(bytes);
    this.#lengths = new Uint32Array(Math.min(options.maxDatagrams ?? 1024, 1024));
  }

  /** Datagrams queued and not yet sent. */
  get pending(): number {
    return this.#count - this.#head;
  }

  /** Points the queue at a (new) socket; a block on the old one no longer applies. */
  setTarget(target: SendTarget | null): void {
    if (this.#target?.socket === target?.socket && this.#target?.to === target?.to) return;
    if (this.#blocked) this.#unblock();
    this.#target = target;
    if (this.pending > 0) this.#schedule();
  }

  /**
   * Encodes and queues one frame; throws the codec's error (nothing queued then). Returns false
   * when the buffer is full because the socket is blocked: the frame is not queued.
   */
  push(frame: CanFrame, done: SendDone | null): boolean {
    if (!this.#makeRoom()) {
      // Still full: the kernel takes nothing now. Encode to check the frame all the same, so an
      // invalid frame is refused the same way whatever the queue's state.
      this.#options.encodeInto(frame, new Uint8Array(MAX_DATAGRAM_BYTES), 0);
      return false;
    }
    const end = this.#options.encodeInto(frame, this.#data, this.#used);
    this.#append(end - this.#used, done);
    return true;
  }

  /**
   * Queues a datagram encoded already (the bus encodes a frame once for the group and every
   * unicast peer, each destination with a queue of its own). Returns false when the buffer is full
   * because the socket is blocked: the datagram is not queued.
   */
  pushDatagram(datagram: Uint8Array, done: SendDone | null): boolean {
    if (!this.#makeRoom()) return false;
    this.#data.set(datagram, this.#used);
    this.#append(datagram.length, done);
    return true;
  }

  /** Room for one more datagram of any size, flushing first when there is none; false: still full. */
  #makeRoom(): boolean {
    if (this.#hasRoom()) return true;
    this.flush();
    return this.#hasRoom();
  }

  #hasRoom(): boolean {
    return (
      this.#used + MAX_DATAGRAM_BYTES <= this.#data.length && this.#count < this.#lengths.length
    );
  }

  /** Records the datagram just written at `#used` (`length` bytes) and schedules the flush. */
  #append(length: number, done: SendDone | null): void {
    this.#lengths[this.#count] = length;
    this.#dones[this.#count] = done;
    this.#used += length;
    this.#count++;
    this.#schedule();
  }

  /** Sends what is queued now (the once-per-turn flush calls it; so do close and a full buffer). */
  flush = (): void => {
    this.#scheduled = false;
    while (this.#head < this.#count && !this.#blocked) {
      // Read on every round: a failure may have made the bus re-join onto a new socket.
      const target = this.#target;
      if (target === null) break;
      let sent: number;
      try {
        sent = target.socket.send(this.#data, this.#lengths, this.#head, this.pending, target.to);
      } catch (err) {
        // Only a closed socket or a bad argument throws: what is queued cannot go out.
        this.#failAll(err as NodeJS.ErrnoException);
        break;
      }
      if (sent > 0) this.#sent(sent);
      if (this.#head === this.#count) break;
      const errno = target.socket.sendErrno;
      const code = errnoName(errno);
      if (WAIT_FOR_WRITABLE.has(code)) {
        this.#blocked = true;
        target.socket.waitWritable(this.#unblockAndFlush);
      } else if (PAUSE.has(code)) {
        this.#blocked = true;
        this.#cancelPause = this.#options.after(this.#options.retryMs ?? 1, this.#unblockAndFlush);
      } else {
        this.#fail(sendError(errno, code, target));
      }
    }
    this.#compact();
    // Checked first: splice(0) allocates an array at every flush (perf: ArrayPrototypeSplice).
    if (this.pending === 0 && this.#drained.length > 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  };

  /** Resolves once nothing is queued (at once when empty). */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Abandons everything queued: each waiting `done` gets `err`. */
  clear(err: NodeJS.ErrnoException): void {
    if (this.#blocked) this.#unblock();
    this.#failAll(err, false);
    this.#compact();
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  #schedule(): void {
    if (this.#scheduled || this.#blocked) return;
    this.#scheduled = true;
    setImmediate(this.flush);
  }

  #sent(count: number): void {
    this.batches++;
    if (count > this.maxBatch) this.maxBatch = count;
    for (let i = 0; i < count; i++) {
      const at = this.#head + i;
      this.#headOffset += this.#lengths[at]!;
      const done = this.#dones[at];
      this.#dones[at] = null;
      done?.(null);
    }
    this.#head += count;
    this.#options.onSent(count);
  }

  #fail(err: NodeJS.ErrnoException, count = true): void {
    const at = this.#head;
    this.#headOffset += this.#lengths[at]!;
    const done = this.#dones[at];
    this.#dones[at] = null;
    this.#head++;
    if (count) this.#options.onError(err);
    done?.(err);
  }

  #failAll(err: NodeJS.ErrnoException, count = true): void {
    while (this.#head < this.#count) this.#fail(err, count);
  }

  /** Moves what is still queued to the front of the buffer. */
  #compact(): void {
    if (this.#head === 0) return;
    if (this.#head === this.#count) {
      this.#used = 0;
      this.#count = 0;
      this.#head = 0;
      this.#headOffset = 0;
      this.#dones.length = 0;
      return;
    }
    this.#data.copyWithin(0, this.#headOffset, this.#used);
    this.#lengths.copyWithin(0, this.#head, this.#count);
    this.#dones.splice(0, this.#head);
    this.#used -= this.#headOffset;
    this.#count -= this.#head;
    this.#head = 0;
    this.#headOffset = 0;
  }

  #unblock(): void {
    this.#blocked = false;
    this.#cancelPause?.();
    this.#cancelPause = null;
    try {
      this.#target?.socket.waitWritable(null);
    } catch {
      // A closed socket has nothing to cancel.
    }
  }

  #unblockAndFlush = (): void => {
    this.#blocked = false;
    this.#cancelPause = null;
    this.flush();
  };
}

function sendError(errno: number, code: string, target: SendTarget): NodeJS.ErrnoException {
  const where = target.to === undefined ? 'the group' : `${target.to.address}:${target.to.port}`;
  const err: NodeJS.ErrnoException = new Error(`sendmmsg ${code} ${where}`);
  err.code = code;
  err.errno = errno;
  err.syscall = 'sendmmsg';
  return err;
}

/** A `done` for one frame sent to `n` destinations: called once, after all, with the first error. */
export function allDone(n: number, done: SendDone): SendDone {
  let left = n;
  let first: NodeJS.ErrnoException | null = null;
  return (err) => {
    first ??= err;
    if (--left === 0) done(first);
  };
}
