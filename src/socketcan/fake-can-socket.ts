/**
 * An in-memory `CanSocketLike` for tests of the layers above: frames "sent" are recorded in
 * `sent`, frames "received" are injected with `receive()`, interface changes with `setInterface()`.
 * Same validation, drop reasons, queueing while down/gone and close semantics as `CanSocket`.
 */
import { EventEmitter } from 'node:events';
import { BridgeError } from '../errors.js';
import type { CanFrame } from '../frame.js';
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

export interface FakeCanSocketOptions {
  interface?: string;
  /** CAN FD capable (option `fd` and an MTU 72 interface); default true. */
  fd?: boolean;
  txQueueLimit?: number;
  /** Thrown by `start()`, e.g. an ENODEV-coded error. */
  startError?: Error;
}

export class FakeCanSocket extends EventEmitter<CanSocketEvents> implements CanSocketLike {
  readonly interfaceName: string;
  readonly fdCapable: boolean;
  /** Every frame the "kernel" accepted, in order. */
  readonly sent: CanFrame[] = [];
  #state: CanSocketState = 'idle';
  #counters = zeroCounters();
  #queue: CanFrame[] = [];
  #limit: number;
  #startError: Error | undefined;
  #txBlocked: CanTxDropReason | null = null;

  constructor(options: FakeCanSocketOptions = {}) {
    super();
    this.interfaceName = options.interface ?? 'vcan0';
    this.fdCapable = options.fd ?? true;
    this.#limit = options.txQueueLimit ?? 1000;
    this.#startError = options.startError;
  }

  get state(): CanSocketState {
    return this.#state;
  }

  get counters(): CanSocketCounters {
    return {
      ...this.#counters,
      txDropped: { ...this.#counters.txDropped },
      txQueued: this.#queue.length,
    };
  }

  #startPromise: Promise<void> | null = null;

  start(): Promise<void> {
    if (this.#startPromise !== null) return this.#startPromise;
    if (this.#state !== 'idle') {
      this.#startPromise = Promise.reject(
        new BridgeError('ERR_CAN_SOCKET_CLOSED', `CAN socket on ${this.interfaceName} is closed`),
      );
    } else if (this.#startError !== undefined) {
      this.#startPromise = Promise.reject(this.#startError);
    } else {
      this.#state = 'up';
      this.#flush();
      this.#startPromise = Promise.resolve();
    }
    return this.#startPromise;
  }

  send(frame: CanFrame): boolean {
    if (this.#state === 'closed') return this.#drop(frame, 'closed');
    const fault = validateFrame(frame);
    if (fault !== null && fault !== 'timestamp_invalid') {
      return this.#drop(
        frame,
        'invalid',
        new BridgeError('ERR_INVALID_FRAME', `invalid CAN frame: ${fault}`),
      );
    }
    if (frame.isFd && !this.fdCapable) {
      return this.#drop(
        frame,
        'fd_unsupported',
        new BridgeError(
          'ERR_CAN_FD_UNSUPPORTED',
          `cannot send a CAN FD frame on ${this.interfaceName}`,
        ),
      );
    }
    if (this.#txBlocked !== null) return this.#drop(frame, this.#txBlocked);
    if (this.#queue.length >= this.#limit) return this.#drop(frame, 'queue_full');
    this.#queue.push(frame);
    this.#flush();
    return true;
  }

  /** Delivers `frames` as one received batch. */
  receive(frames: CanFrame[]): void {
    if (this.#state !== 'up') return;
    this.#counters.rxFrames += frames.length;
    this.#counters.rxBatches++;
    this.emit('frames', frames);
  }

  /** Simulates an interface transition, with the same state rules as `CanSocket`. */
  setInterface(change: CanStateChange, err?: Error): void {
    if (this.#state === 'closed' || this.#state === 'idle') return;
    if (change === 'back') {
      this.#counters.reopens++;
      this.#state = 'down';
    } else {
      this.#state = change;
    }
    if (err === undefined) this.emit('state', change);
    else this.emit('state', change, err);
    this.#flush();
  }

  /** Adds to the kernel's receive-queue drop count. */
  addKernelDrops(n: number): void {
    this.#counters.rxKernelDrops += n;
  }

  close(): Promise<void> {
    if (this.#state !== 'closed') {
      this.#flush();
      this.#finish();
    }
    return Promise.resolve();
  }

  destroy(err?: Error): void {
    this.#finish(err);
  }

  dropQueued(reason: CanTxDropReason): number {
    const frames = this.#queue.splice(0);
    if (frames.length > 0) {
      this.#counters.txDropped[reason] += frames.length;
      this.emit('drop', frames, reason);
    }
    return frames.length;
  }

  setTxBlocked(reason: CanTxDropReason | null): void {
    this.#txBlocked = reason;
  }

  #finish(err?: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const rest = this.#queue.splice(0);
    if (rest.length > 0) {
      this.#counters.txDropped.closed += rest.length;
      this.emit('drop', rest, 'closed');
    }
    if (err !== undefined) this.emit('error', err);
    this.emit('close');
  }

  #flush(): void {
    if (this.#state !== 'up') return;
    const out = this.#queue.splice(0);
    this.sent.push(...out);
    this.#counters.txFrames += out.length;
    if (out.length > 0) this.#counters.txBatches++;
  }

  #drop(frame: CanFrame, reason: CanTxDropReason, err?: Error): false {
    this.#counters.txDropped[reason]++;
    if (err === undefined) this.emit('drop', [frame], reason);
    else this.emit('drop', [frame], reason, err);
    return false;
  }
}
