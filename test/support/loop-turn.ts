/**
 * Waiting for `CanSocket`'s TX flush, which runs once per event-loop turn (setImmediate), in tests
 * that fake the socket's timers (interface poll, ENOBUFS backoff, close timeout).
 */
import { vi } from 'vitest';

/** Fakes timeouts, intervals and Date, but keeps setImmediate real (vitest fakes it by default). */
export function useFakeTimersButImmediate(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

/** Resolves after the check phase of this loop turn: an immediate queued before it has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
