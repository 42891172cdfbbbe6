/**
 * When `send` sends each frame: at once, a fixed `--interval` apart, or (`--replay`) with the gaps
 * between the log's timestamps, as canplayer does (can-utils canplayer.c: each frame waits until
 * its log time minus the first frame's log time has passed since the start).
 */

export interface PacerDeps {
  /** Monotonic milliseconds; default performance.now. */
  nowMs?: () => number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type PaceMode = { kind: 'asap' } | { kind: 'interval'; ms: number } | { kind: 'replay' };

function sleepMs(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export class SendPacer {
  readonly #mode: PaceMode;
  readonly #nowMs: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #sent = 0;
  /** Replay: the first frame's log time (s) and our clock then (ms). */
  #origin: { logS: number; atMs: number } | null = null;

  constructor(mode: PaceMode, deps: PacerDeps = {}) {
    this.#mode = mode;
    this.#nowMs = deps.nowMs ?? (() => performance.now());
    this.#sleep = deps.sleep ?? sleepMs;
  }

  /** Starts a new pass (`--loop`): the next frame goes at once and sets the replay origin. */
  restart(): void {
    this.#origin = null;
  }

  /** Waits until the frame with log time `logS` (null: none) is due. */
  async wait(logS: number | null, signal: AbortSignal): Promise<void> {
    const first = this.#sent++ === 0;
    const mode = this.#mode;
    if (mode.kind === 'interval') {
      if (!first && mode.ms > 0) await this.#sleep(mode.ms, signal);
      return;
    }
    if (mode.kind !== 'replay' || logS === null) return;
    if (this.#origin === null) {
      this.#origin = { logS, atMs: this.#nowMs() };
      return;
    }
    // A log time before the origin (an unsorted log) goes at once, as in canplayer.
    const dueMs = this.#origin.atMs + (logS - this.#origin.logS) * 1000;
    const waitMs = dueMs - this.#nowMs();
    if (waitMs > 0) await this.#sleep(waitMs, signal);
  }
}
