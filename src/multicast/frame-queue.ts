/**
 * A bounded single-consumer queue exposed as an async iterator: what `MulticastBus.frames()` hands
 * out. The producer never blocks; when the consumer falls `highWaterMark` items behind, new items
 * are refused (the caller counts them).
 */
import { asError } from '../errors.js';
export class FrameQueue<T> implements AsyncIterableIterator<T> {
  readonly #highWaterMark: number;
  readonly #onReturn: () => void;
  #items: T[] = [];
  #head = 0;
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  #ended = false;
  #error: unknown = undefined;

  /** `onReturn` runs once when the consumer stops (break, return) or the queue ends. */
  constructor(highWaterMark: number, onReturn: () => void) {
    this.#highWaterMark = highWaterMark;
    this.#onReturn = onReturn;
  }

  /** Items waiting for the consumer. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Queues `item`; false when the queue is full or ended (the item is dropped). */
  push(item: T): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.length >= this.#highWaterMark) return false;
    this.#items.push(item);
    return true;
  }

  /** Ends the iteration after the queued items; with `err`, the iterator rejects with it instead. */
  end(err?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = err;
    if (err !== undefined) {
      this.#items = [];
      this.#head = 0;
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter !== null) {
      if (err !== undefined) waiter.reject(err);
      else waiter.resolve({ value: undefined, done: true });
    }
    this.#onReturn();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (this.#error !== undefined) {
        const err = this.#error;
        this.#error = undefined;
        return Promise.reject(asError(err, 'iteration ended with a non-Error'));
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.#items = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
