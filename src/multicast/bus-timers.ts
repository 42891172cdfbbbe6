/** The timers of a `MulticastBus`, injectable so tests drive them by hand. */

/** Cancels a timer; calling it twice is harmless. */
export type CancelTimer = () => void;

export interface BusTimers {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void): CancelTimer;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  after(ms: number, fn: () => void): CancelTimer;
}

/** Node's timers, unref'd: a bus alone never keeps the process alive. */
export const systemTimers: BusTimers = {
  now: () => performance.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
