/**
 * Sequence matching of one benchmark step: the frames of the step's CAN id as seen on the origin
 * bus (A) and on the destination bus (B), each with its kernel receive stamp, give the one-way
 * latency of every frame, and loss, duplicates and reordering. Pure: fed by
 * bench/bridge-bench-receiver.ts, tested in test/unit/bench/.
 */
import { SIDE_A, SIDE_B } from './stamp-records.js';

export interface MatchResult {
  /** Distinct sequence numbers seen on A (what the generator put on the bus). */
  seenOnA: number;
  /** Distinct sequence numbers that reached B. */
  received: number;
  /** Sequence numbers seen on A that never reached B. */
  missing: number;
  /** Arrivals on B beyond the first of their sequence number. */
  duplicates: number;
  /** Arrivals on A beyond the first (frames that came back onto their origin bus). */
  backOnOrigin: number;
  /**
   * Arrivals on B whose sequence number is lower than that of the arrival before it: one late
   * frame counts once, a swapped pair once, a batch sent in reverse order once per frame.
   */
  reordered: number;
  /** Frames on B with this step's id but a payload the generator does not write, or out of range. */
  foreign: number;
  /** The latest stamp of this step's frames on A and on B, microseconds (NaN: none). */
  lastAUs: number;
  lastBUs: number;
  /** B stamp minus A stamp of each frame seen on both, microseconds, ascending. */
  latenciesUs: Float64Array;
  /**
   * The worst latency of the frames generated in each second of the step (by their stamp on A,
   * from the first), microseconds; NaN for a second with no frame matched. For the first-traffic
   * stall (issue 9 section 4).
   */
  worstBySecondUs: number[];
}

/** Collects the frames of one step: CAN id `canId`, sequence numbers 0 .. capacity - 1. */
export class SeqMatcher {
  readonly #tsA: Float64Array;
  readonly #tsB: Float64Array;
  readonly #countA: Uint32Array;
  readonly #countB: Uint32Array;
  #lastSeqB = -1;
  #reordered = 0;
  #foreign = 0;
  #lastAUs = Number.NaN;
  #lastBUs = Number.NaN;
  /** Arrivals on B of this step so far, duplicates included. */
  framesOnB = 0;

  constructor(
    readonly canId: number,
    readonly capacity: number,
  ) {
    this.#tsA = new Float64Array(capacity);
    this.#tsB = new Float64Array(capacity);
    this.#countA = new Uint32Array(capacity);
    this.#countB = new Uint32Array(capacity);
  }

  /**
   * Takes one frame; returns false when it is not one of this step's (another id, or not the
   * generator's payload: sequence number LE in bytes 0-3, the CAN id LE in bytes 4-7).
   */
  add(side: number, tsUs: number, canId: number, data: Buffer, len: number): boolean {
    if (canId !== this.canId) return false;
    const seq = len === 8 && data.length >= 8 ? data.readUInt32LE(0) : -1;
    if (seq < 0 || seq >= this.capacity || data.readUInt32LE(4) !== this.canId) {
      if (side === SIDE_B) this.#foreign++;
      return false;
    }
    if (side === SIDE_A) {
      if (!(tsUs <= this.#lastAUs)) this.#lastAUs = tsUs;
      if (this.#countA[seq] === 0) this.#tsA[seq] = tsUs;
      this.#countA[seq] = (this.#countA[seq] ?? 0) + 1;
    } else if (side === SIDE_B) {
      if (!(tsUs <= this.#lastBUs)) this.#lastBUs = tsUs;
      if (this.#countB[seq] === 0) this.#tsB[seq] = tsUs;
      this.#countB[seq] = (this.#countB[seq] ?? 0) + 1;
      if (seq < this.#lastSeqB) this.#reordered++;
      this.#lastSeqB = seq;
      this.framesOnB++;
    }
    return true;
  }

  /** The earliest stamp on A of this step's frames, microseconds (Infinity: none yet). */
  #firstA(): number {
    let firstA = Infinity;
    for (let i = 0; i < this.capacity; i++) {
      if ((this.#countA[i] ?? 0) > 0) firstA = Math.min(firstA, this.#tsA[i] ?? Infinity);
    }
    return firstA;
  }

  /**
   * One line per sequence number: `seq msSinceFirstOnA latencyMs` (NaN where a side never saw
   * it), after a first line `# first on A at <kernel stamp, ms since the epoch>`, for a closer look
   * at one step (CMBTEST_BENCH_LATENCIES in bridge-bench.ts).
   */
  perFrameLines(): string[] {
    const firstA = this.#firstA();
    const lines: string[] = [`# first on A at ${(firstA / 1000).toFixed(3)}`];
    for (let i = 0; i < this.capacity; i++) {
      const onA = (this.#countA[i] ?? 0) > 0;
      const onB = (this.#countB[i] ?? 0) > 0;
      const at = onA ? ((this.#tsA[i] ?? 0) - firstA) / 1000 : Number.NaN;
      const lat = onA && onB ? ((this.#tsB[i] ?? 0) - (this.#tsA[i] ?? 0)) / 1000 : Number.NaN;
      lines.push(`${i} ${at.toFixed(2)} ${lat.toFixed(2)}`);
    }
    return lines;
  }

  /** What the step saw so far. */
  result(): MatchResult {
    let seenOnA = 0;
    let received = 0;
    let missing = 0;
    let duplicates = 0;
    let backOnOrigin = 0;
    const lat: number[] = [];
    const firstA = this.#firstA();
    const worst: number[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const a = this.#countA[i] ?? 0;
      const b = this.#countB[i] ?? 0;
      if (a > 0) seenOnA++;
      if (a > 1) backOnOrigin += a - 1;
      if (b > 0) received++;
      if (b > 1) duplicates += b - 1;
      if (a > 0 && b === 0) missing++;
      if (a > 0 && b > 0) {
        const l = (this.#tsB[i] ?? 0) - (this.#tsA[i] ?? 0);
        lat.push(l);
        const second = Math.floor(((this.#tsA[i] ?? 0) - firstA) / 1e6);
        for (let s = worst.length; s <= second; s++) worst.push(Number.NaN);
        if (!(l <= (worst[second] as number))) worst[second] = l;
      }
    }
    return {
      seenOnA,
      received,
      missing,
      duplicates,
      backOnOrigin,
      reordered: this.#reordered,
      foreign: this.#foreign,
      lastAUs: this.#lastAUs,
      lastBUs: this.#lastBUs,
      latenciesUs: Float64Array.from(lat).sort(),
      worstBySecondUs: worst,
    };
  }
}
