/**
 * The async iterators of `MulticastBus.frames()` and `CanSocket.frames()`: every iterator gets
 * every item, one at a time, from a bounded queue of its own (frame-queue.ts). The endpoint never
 * waits for a slow consumer (the kernel's receive buffer would overflow meanwhile and the other
 * consumers, e.g. the relay, would starve): an item for an iterator already `highWaterMark` items
 * behind is dropped for that iterator and counted (`drops`; the bus's 'iterator_overflow', the CAN
 * socket's `rxIteratorDrops`).
 */
import { FrameQueue } from './frame-queue.js';

export class FrameFanOut<T> {
  readonly #queues = new Set<FrameQueue<T>>();
  readonly #highWaterMark: number;
  #ended = false;
  /** Items dropped for iterators that were full, one per iterator. */
  drops = 0;

  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /** A new iterator over the items pushed from now on; ended already after `end()`. */
  open(): FrameQueue<T> {
    const queue: FrameQueue<T> = new FrameQueue(this.#highWaterMark, () =>
      this.#queues.delete(queue),
    );
    if (this.#ended) queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  /** Hands `item` to every iterator; returns for how many it was dropped. */
  push(item: T): number {
    let dropped = 0;
    for (const queue of this.#queues) if (!queue.push(item)) dropped++;
    this.drops += dropped;
    return dropped;
  }

  /** Hands one received batch to every iterator. */
  pushAll(items: readonly T[]): void {
    if (this.#queues.size === 0) return;
    for (const queue of this.#queues) {
      for (const item of items) if (!queue.push(item)) this.drops++;
    }
  }

  /** Ends every iterator after its queued items; with `err` they reject with it instead. */
  end(err?: Error): void {
    this.#ended = true;
    for (const q of [...this.#queues]) q.end(err);
  }
}
