/**
 * The measuring side of bench/bridge-bench.ts: bench/can-stamp-rx.c reads both vcans with kernel
 * receive timestamps and streams records; here they are matched per step (bench/seq-match.ts).
 * The step's CAN id names the step, so late frames of an earlier step never count in a later one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { MatchResult } from './seq-match.js';
import { SeqMatcher } from './seq-match.js';
import { SIDE_B, StampRecordReader } from './stamp-records.js';

export interface ReceiverResult extends MatchResult {
  /** Frames the receiver's own sockets dropped during the step (SO_RXQ_OVFL). */
  receiverDrops: number;
}

export class StampReceiver {
  #child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  #matcher: SeqMatcher | null = null;
  readonly #drops = [0, 0];
  #dropsAtArm = 0;
  #exited: Promise<unknown> = Promise.resolve();
  /** performance.now() of the last frame of the armed step on B. */
  lastOnB = 0;

  constructor(
    readonly bin: string,
    readonly ifaceA: string,
    readonly ifaceB: string,
  ) {}

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /** Arrivals on B of the armed step so far, duplicates included. */
  get framesOnB(): number {
    return this.#matcher?.framesOnB ?? 0;
  }

  async start(): Promise<void> {
    const child = spawn(this.bin, [this.ifaceA, this.ifaceB], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#exited = new Promise((r) => child.once('close', r));
    const reader = new StampRecordReader({
      frame: (side, tsUs, canId, data, len) => {
        if (this.#matcher?.add(side, tsUs, canId, data, len) === true && side === SIDE_B) {
          this.lastOnB = performance.now();
        }
      },
      drops: (side, total) => {
        this.#drops[side] = total;
      },
    });
    child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        err += s;
        if (err.includes('ready\n')) resolve();
      });
      child.once('close', (code) => reject(new Error(`can-stamp-rx exited ${code}: ${err}`)));
    });
  }

  #totalDrops(): number {
    return (this.#drops[0] ?? 0) + (this.#drops[1] ?? 0);
  }

  /** Starts matching the frames of one step: `canId`, sequence numbers below `capacity`. */
  arm(canId: number, capacity: number): void {
    this.#matcher = new SeqMatcher(canId, capacity);
    this.#dropsAtArm = this.#totalDrops();
    this.lastOnB = performance.now();
  }

  /** SeqMatcher.perFrameLines of the armed step. */
  perFrameLines(): string[] {
    return this.#matcher?.perFrameLines() ?? [];
  }

  result(): ReceiverResult {
    if (this.#matcher === null) throw new Error('StampReceiver.result before arm');
    return { ...this.#matcher.result(), receiverDrops: this.#totalDrops() - this.#dropsAtArm };
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    child.stdin.end();
    child.kill('SIGTERM');
    await this.#exited;
  }
}
