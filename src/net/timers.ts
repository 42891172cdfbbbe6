/**
 * Monotonic time and timers, injected into everything that waits (the interface monitor, the
 * multicast bus, CanSocket's interface watch) so tests drive them by hand
 * (test/support/manual-timers.ts).
 */

/** Cancels a timer; calling it twice is harmless. */
export type CancelTimer = () => void;

export interface Timers {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void): CancelTimer;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  after(ms: number, fn: () => void): CancelTimer;
}

/**
 * Node's timers, unref'd: a bus or a monitor alone never keeps the process alive. The globals are
 * looked up at each call, so tests that fake them (vi.useFakeTimers) drive these too.
 */
export const systemTimers: Timers = {
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
