/**
 * The async iterators of `CanSocket.frames()`: every iterator gets every received frame, one at a
 * time, from a bounded queue of its own. The socket never waits for a slow consumer (the kernel's
 * receive buffer would overflow meanwhile and the other consumers, e.g. the relay, would starve):
 * a frame for an iterator already `highWaterMark` frames behind is dropped for that iterator and
 * counted (`rxIteratorDrops`). The same policy as `MulticastBus.frames()`.
 */
import type { CanFrame } from '../frame.js';
import { FrameQueue } from '../multicast/frame-queue.js';

export class CanRxIterators {
  readonly #queues = new Set<FrameQueue<CanFrame>>();
  readonly #highWaterMark: number;
  #ended = false;
  /** Frames dropped for iterators that were full. */
  drops = 0;

  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /** A new iterator over the frames received from now on; ended already after `end()`. */
  open(): FrameQueue<CanFrame> {
    const queue: FrameQueue<CanFrame> = new FrameQueue(this.#highWaterMark, () =>
      this.#queues.delete(queue),
    );
    if (this.#ended) queue.end();
    else this.#queues.add(queue);
    return queue;
  }

  /** Hands one received batch to every iterator. */
  push(frames: readonly CanFrame[]): void {
    if (this.#queues.size === 0) return;
    for (const queue of this.#queues) {
      for (const f of frames) if (!queue.push(f)) this.drops++;
    }
  }

  /** Ends every iterator after its queued frames; with `err` they reject with it instead. */
  end(err?: Error): void {
    this.#ended = true;
    for (const q of [...this.#queues]) q.end(err);
  }
}
