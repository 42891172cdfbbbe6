/**
 * candump's timestamp column, `-t a|A|d|z` (can-utils candump.c `sprint_timestamp`, with its
 * microsecond widths): absolute `(1700000000.123456) `, absolute with local date
 * `(2023-11-14 22:13:20.123456) `, delta to the previous frame and zero-based `(000.123456) `.
 */

export type TimestampMode = 'a' | 'A' | 'd' | 'z';

export const TIMESTAMP_MODES: readonly TimestampMode[] = ['a', 'A', 'd', 'z'];

/** Whole seconds and microseconds, rounded as toFixed(6) would (carrying into the seconds). */
function split(seconds: number): [number, number] {
  let sec = Math.floor(seconds);
  let usec = Math.round((seconds - sec) * 1e6);
  if (usec >= 1e6) {
    sec += 1;
    usec -= 1e6;
  }
  return [sec, usec];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Stateful for `d` and `z`: one instance per output stream. */
export class DumpTimestamp {
  readonly #mode: TimestampMode;
  /** candump's `last_tv`: the first frame's time (z) or the previous one's (d), in microseconds. */
  #lastUs: number | null = null;

  constructor(mode: TimestampMode) {
    this.#mode = mode;
  }

  /** The column for a frame received at `seconds` (float, since the epoch), with its space. */
  format(seconds: number): string {
    const [sec, usec] = split(seconds);
    switch (this.#mode) {
      case 'a':
        return `(${pad(sec, 10)}.${pad(usec, 6)}) `;
      case 'A': {
        const d = new Date(sec * 1000);
        const date = `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
        const time = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
        return `(${date} ${time}.${pad(usec, 6)}) `;
      }
      case 'd':
      case 'z': {
        const us = sec * 1e6 + usec;
        this.#lastUs ??= us;
        // candump: a negative difference (an earlier frame) prints as zero.
        const diff = Math.max(0, us - this.#lastUs);
        if (this.#mode === 'd') this.#lastUs = us;
        return `(${pad(Math.floor(diff / 1e6), 3)}.${pad(diff % 1e6, 6)}) `;
      }
    }
  }
}
