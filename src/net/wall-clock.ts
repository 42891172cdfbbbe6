/** The receive timestamps of the multicast bus: wall-clock seconds from the monotonic clock. */
import type { Timers } from './timers.js';

/**
 * Seconds since the epoch with microsecond resolution: the monotonic clock, re-anchored to the
 * wall clock (which has only milliseconds) every second so it follows NTP adjustments.
 */
export function wallClockSeconds(timers: Timers): () => number {
  let offsetMs = Date.now() - timers.now();
  let anchoredAt = timers.now();
  return () => {
    const now = timers.now();
    if (now - anchoredAt > 1000) {
      offsetMs = Date.now() - now;
      anchoredAt = now;
    }
    return (offsetMs + now) / 1000;
  };
}
