/**
 * Rate limiting for warnings that can repeat at frame rate (a flood of malformed datagrams, a full
 * TX queue): at most one line per key per interval; the lines held back are counted and the count
 * goes out with the next line for that key as `suppressed`.
 */
import type { Logger } from './create-logger.js';

export type RateLimitedLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface RateLimitedLogOptions {
  /** At most one line per key in this many milliseconds. */
  intervalMs: number;
  /** Milliseconds of a monotonic clock; default `performance.now`. */
  now?: () => number;
  /** Keys remembered at most; the oldest is forgotten beyond (bounded memory under floods). */
  maxKeys?: number;
}

interface KeyState {
  lastEmitMs: number;
  suppressed: number;
  level: RateLimitedLevel;
  msg: string;
}

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, KeyState>();

  constructor(logger: Logger, options: RateLimitedLogOptions) {
    this.#logger = logger;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 1000;
  }

  /** Logs at `level` unless `key` logged within the interval; returns whether it logged. */
  log(level: RateLimitedLevel, key: string, fields: object, msg: string): boolean {
    const now = this.#now();
    const state = this.#keys.get(key);
    if (state && now - state.lastEmitMs < this.#intervalMs) {
      state.suppressed++;
      return false;
    }
    const suppressed = state?.suppressed ?? 0;
    if (state)
      this.#keys.delete(key); // re-insert: Map order is then least recently logged first
    else if (this.#keys.size >= this.#maxKeys) this.#forgetOldest();
    this.#keys.set(key, { lastEmitMs: now, suppressed: 0, level, msg });
    this.#logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
    return true;
  }

  /** `log('warn', ...)`. */
  warn(key: string, fields: object, msg: string): boolean {
    return this.log('warn', key, fields, msg);
  }

  /** Logs the count of each key with lines held back since its last line (e.g. at exit), and resets. */
  flush(): void {
    for (const [key, state] of this.#keys) {
      if (state.suppressed === 0) continue;
      this.#logger[state.level]({ key, suppressed: state.suppressed }, state.msg);
      state.suppressed = 0;
    }
  }

  #forgetOldest(): void {
    const oldest = this.#keys.keys().next();
    if (oldest.done !== true) this.#keys.delete(oldest.value);
  }
}
