/** `Timers` (src/net/timers.ts) driven by hand: time moves only in `advance(ms)`. */
import type { Timers, CancelTimer } from '../../src/net/timers.js';

interface Pending {
  at: number;
  every: number | null;
  fn: () => void;
}

export class ManualTimers implements Timers {
  #now = 0;
  readonly #pending = new Set<Pending>();

  now(): number {
    return this.#now;
  }

  every(ms: number, fn: () => void): CancelTimer {
    return this.#add({ at: this.#now + ms, every: ms, fn });
  }

  after(ms: number, fn: () => void): CancelTimer {
    return this.#add({ at: this.#now + ms, every: null, fn });
  }

  /** Timers not cancelled (and one-shot timers not run) yet. */
  get active(): number {
    return this.#pending.size;
  }

  /** Moves the clock forward, running due timers in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Pending | null = null;
      for (const p of this.#pending) if (p.at <= end && (next === null || p.at < next.at)) next = p;
      if (next === null) break;
      this.#now = next.at;
      if (next.every === null) this.#pending.delete(next);
      else next.at += next.every;
      next.fn();
    }
    this.#now = end;
  }

  #add(p: Pending): CancelTimer {
    this.#pending.add(p);
    return () => this.#pending.delete(p);
  }
}
