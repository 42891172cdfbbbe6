/**
 * The measuring side of bench/bridge-bench.ts: our CanSocket on the origin vcan (A) and on the
 * destination vcan (B), both with kernel receive timestamps (SO_TIMESTAMPNS). A frame's latency is
 * its timestamp on B minus its timestamp on A, so the generator's own scheduling does not count.
 * The generator is can-utils `cangen -I ID -L 8 -D i`: the run tag is in the CAN id
 * (`tagCanId`), the payload is a 64-bit little-endian counter starting at 0 (can-utils cangen.c,
 * MODE_INCREMENT).
 */
import type { CanFrame } from '../src/frame.js';
import { CanSocket } from '../src/socketcan/can-socket.js';

/** The CAN id of the frames of run `tag` (1..250). */
export function tagCanId(tag: number): number {
  return 0x100 + tag;
}

export interface RunResult {
  /** Distinct sequence numbers seen on A (what the generator put on the bus). */
  seenOnA: number;
  /** Distinct sequence numbers that reached B. */
  received: number;
  /** Frames of this run seen on B more than once. */
  duplicates: number;
  /** Frames of this run seen on A more than once (came back onto their origin bus). */
  backOnOrigin: number;
  /** Frames on B with this tag that arrived out of order. */
  reordered: number;
  /** Latencies in microseconds of the frames seen on both buses, sorted. */
  latenciesUs: Float64Array;
  /** Frames the kernel dropped from the receiver's own queues (then loss is not the bridge's). */
  receiverDrops: number;
}

export class Receiver {
  readonly #a: CanSocket;
  readonly #b: CanSocket;
  #tag = -1;
  #capacity = 0;
  #tsA = new Float64Array(0);
  #tsB = new Float64Array(0);
  #countA = new Uint8Array(0);
  #countB = new Uint8Array(0);
  #lastSeqB = -1;
  #reordered = 0;
  #drops0 = 0;
  /** performance.now() of the last frame of the current run on B. */
  lastOnB = 0;
  /** Frames on B of this run so far (with duplicates). */
  framesOnB = 0;
  /** Frames on B of earlier runs or not from the generator. */
  strays = 0;

  constructor(ifaceA: string, ifaceB: string) {
    // 8 MiB receive buffers and big batches: the receiver must not be the one that loses frames.
    const options = { rcvbufBytes: 8 << 20, rxBatchSize: 256, txQueueLimit: 1 };
    this.#a = new CanSocket({ ...options, interface: ifaceA });
    this.#b = new CanSocket({ ...options, interface: ifaceB });
    this.#a.on('frames', (frames) => this.#onA(frames));
    this.#b.on('frames', (frames) => this.#onB(frames));
  }

  start(): void {
    void this.#a.start();
    void this.#b.start();
  }

  async close(): Promise<void> {
    await Promise.all([this.#a.close(), this.#b.close()]);
  }

  #kernelDrops(): number {
    return this.#a.counters.rxKernelDrops + this.#b.counters.rxKernelDrops;
  }

  /** Starts counting the frames of run `tag` (sequence numbers below `capacity`). */
  arm(tag: number, capacity: number): void {
    this.#tag = tag;
    this.#capacity = capacity;
    this.#tsA = new Float64Array(capacity);
    this.#tsB = new Float64Array(capacity);
    this.#countA = new Uint8Array(capacity);
    this.#countB = new Uint8Array(capacity);
    this.#lastSeqB = -1;
    this.#reordered = 0;
    this.#drops0 = this.#kernelDrops();
    this.lastOnB = performance.now();
    this.framesOnB = 0;
    this.strays = 0;
  }

  /** The result of the armed run so far. */
  result(): RunResult {
    let seenOnA = 0;
    let received = 0;
    let duplicates = 0;
    let backOnOrigin = 0;
    const lat: number[] = [];
    for (let i = 0; i < this.#capacity; i++) {
      const a = this.#countA[i] ?? 0;
      const b = this.#countB[i] ?? 0;
      if (a > 0) seenOnA++;
      if (a > 1) backOnOrigin += a - 1;
      if (b > 0) received++;
      if (b > 1) duplicates += b - 1;
      if (a > 0 && b > 0) lat.push(((this.#tsB[i] ?? 0) - (this.#tsA[i] ?? 0)) * 1e6);
    }
    const latenciesUs = Float64Array.from(lat).sort();
    return {
      seenOnA,
      received,
      duplicates,
      backOnOrigin,
      reordered: this.#reordered,
      latenciesUs,
      receiverDrops: this.#kernelDrops() - this.#drops0,
    };
  }

  #seq(frame: CanFrame): number {
    if (frame.arbitrationId !== tagCanId(this.#tag) || frame.data.length !== 8) return -1;
    const d = frame.data;
    const seq =
      ((d[0] ?? 0) | ((d[1] ?? 0) << 8) | ((d[2] ?? 0) << 16) | ((d[3] ?? 0) << 24)) >>> 0;
    return seq < this.#capacity ? seq : -1;
  }

  #onA(frames: CanFrame[]): void {
    for (const f of frames) {
      const seq = this.#seq(f);
      if (seq < 0) continue;
      const n = this.#countA[seq] ?? 0;
      if (n === 0) this.#tsA[seq] = f.timestamp;
      if (n < 255) this.#countA[seq] = n + 1;
    }
  }

  #onB(frames: CanFrame[]): void {
    for (const f of frames) {
      const seq = this.#seq(f);
      if (seq < 0) {
        this.strays++;
        continue;
      }
      this.framesOnB++;
      const n = this.#countB[seq] ?? 0;
      if (n === 0) this.#tsB[seq] = f.timestamp;
      if (n < 255) this.#countB[seq] = n + 1;
      if (seq < this.#lastSeqB) this.#reordered++;
      this.#lastSeqB = seq;
    }
    this.lastOnB = performance.now();
  }
}
