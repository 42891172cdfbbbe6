/**
 * The promises of `CanSocket.write()`: each written frame (the socket's own copy, so identity is
 * per call) settles once, fulfilled when the kernel took it (sendmmsg counted it), rejected with a
 * `CanTxDropError` when it was dropped. Frames from `send()` are not tracked and cost a map lookup
 * only while some `write()` is pending.
 */
import type { CanFrame } from '../frame.js';
import type { CanTxDropReason } from './can-socket-like.js';
import { CanTxDropError } from './can-tx-drop-error.js';

interface Settle {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class CanTxTracker {
  readonly #pending = new Map<CanFrame, Settle>();

  constructor(readonly interfaceName: string) {}

  /** Frames written and not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** A promise for `frame`, which must be a fresh object not queued before. */
  track(frame: CanFrame): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(frame, { resolve, reject });
    });
  }

  /** The kernel took `frames`. */
  accepted(frames: readonly CanFrame[]): void {
    if (this.#pending.size === 0) return;
    for (const f of frames) {
      const s = this.#pending.get(f);
      if (s === undefined) continue;
      this.#pending.delete(f);
      s.resolve();
    }
  }

  /** `frames` will not be sent. */
  dropped(frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error): void {
    if (this.#pending.size === 0) return;
    for (const f of frames) {
      const s = this.#pending.get(f);
      if (s === undefined) continue;
      this.#pending.delete(f);
      s.reject(new CanTxDropError(reason, this.interfaceName, err));
    }
  }
}
