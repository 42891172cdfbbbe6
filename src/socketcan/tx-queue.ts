/** A bounded FIFO of frames waiting to be sent, with the time each was queued (for stale drops). */
import type { CanFrame } from '../frame.js';

export class TxQueue {
  #frames: CanFrame[] = [];
  #times: number[] = [];
  #head = 0;

  constructor(readonly limit: number) {}

  get length(): number {
    return this.#frames.length - this.#head;
  }

  get full(): boolean {
    return this.length >= this.limit;
  }

  push(frame: CanFrame, queuedAtMs: number): void {
    this.#frames.push(frame);
    this.#times.push(queuedAtMs);
  }

  /** The i-th frame from the head. */
  at(i: number): CanFrame | undefined {
    return this.#frames[this.#head + i];
  }

  /** Removes and returns the first `n` frames. */
  shift(n: number): CanFrame[] {
    const out = this.#frames.slice(this.#head, this.#head + n);
    this.#head += out.length;
    if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#times = [];
      this.#head = 0;
    }
    return out;
  }

  /** Removes the frames queued before `cutoffMs` from the head (the queue is in time order). */
  shiftOlderThan(cutoffMs: number): CanFrame[] {
    let n = 0;
    while (n < this.length && (this.#times[this.#head + n] ?? Infinity) < cutoffMs) n++;
    return n === 0 ? [] : this.shift(n);
  }

  clear(): CanFrame[] {
    return this.shift(this.length);
  }
}
