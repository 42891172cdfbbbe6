/**
 * A CAN traffic agent for the soak run and the daemon fault tests: one `CanSocket` on one
 * interface, writing numbered frames at a steady rate and checking what arrives (loss, duplicates,
 * order, latency). Spoken to in JSON lines (test/support/json-lines-peer.ts):
 *
 *   node dist/bench/soak-agent.js --iface vcan0
 *   stdout: {"event":"ready"}
 *   stdin:  {"cmd":"send","id":257,"count":100,"rate":200} -> {"event":"sent","id":257,"count":100,"dropped":0}
 *           {"cmd":"stream","id":257,"rate":200}  (until {"cmd":"stop","id":257} -> {"event":"sent",...})
 *           {"cmd":"report","reset":true} -> {"event":"report","rx":{"257":RX},"tx":{"257":TX},"rssBytes":n}
 *           {"cmd":"quit"}
 *
 * A frame of stream `id` is a classic 11-bit (id < 0x800) or 29-bit frame with 8 bytes: the
 * sequence number (u32, big endian, from 0 per id) and the wall clock of the write in microseconds
 * modulo 2^32 (u32, big endian). Processes on one machine share the clock, so the receiving agent
 * computes the latency from it, across network namespaces too.
 */
import { createInterface } from 'node:readline';
import { makeFrame } from '../src/frame.js';
import type { CanFrame } from '../src/frame.js';
import { CanSocket } from '../src/socketcan/can-socket.js';

/** What arrived of one stream. */
export interface RxStreamReport {
  /** Frames received, duplicates included. */
  received: number;
  /** Distinct sequence numbers received. */
  unique: number;
  duplicates: number;
  /** Frames with a lower sequence number than one received before. */
  reordered: number;
  /** Highest sequence number seen, -1 before any. */
  maxSeq: number;
  /** Latency percentiles in milliseconds over the frames since the last reset; null when none. */
  latencyMs: LatencySummary | null;
  /** The same over every frame (0.1 ms buckets); null when none. */
  latencyAllMs: LatencySummary | null;
  /** Sequence numbers received, as compact ranges "a-b" (only with `ranges: true`). */
  ranges?: string[];
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What was written of one stream. */
export interface TxStreamReport {
  /** Frames handed to the socket. */
  sent: number;
  /** Of those, dropped by the agent's own socket (interface down too long, queue full). */
  dropped: number;
}

export interface AgentReport {
  event: 'report';
  rx: Record<string, RxStreamReport>;
  tx: Record<string, TxStreamReport>;
  rssBytes: number;
  /** Frames the kernel dropped from the agent's own CAN receive queue (SO_RXQ_OVFL). */
  rxKernelDrops: number;
}

const nowUs = (): number => Math.floor((performance.timeOrigin + performance.now()) * 1000);

class RxStream {
  received = 0;
  unique = 0;
  duplicates = 0;
  reordered = 0;
  maxSeq = -1;
  latencies: number[] = [];
  /** Every latency in 0.1 ms buckets up to 10 s (the last bucket holds the rest). */
  #histogram = new Uint32Array(100_001);
  #maxLatencyMs = 0;
  #seen = new Uint8Array(1024);

  add(seq: number, latencyMs: number): void {
    this.received++;
    if (seq >= this.#seen.length * 8) {
      const bigger = new Uint8Array(Math.max(this.#seen.length * 2, (seq >> 3) + 1024));
      bigger.set(this.#seen);
      this.#seen = bigger;
    }
    const byte = seq >> 3;
    const bit = 1 << (seq & 7);
    if (((this.#seen[byte] ?? 0) & bit) !== 0) {
      this.duplicates++;
      return;
    }
    this.#seen[byte] = (this.#seen[byte] ?? 0) | bit;
    this.unique++;
    if (seq < this.maxSeq) this.reordered++;
    else this.maxSeq = seq;
    if (this.latencies.length < 200_000) this.latencies.push(latencyMs);
    this.#histogram[Math.min(100_000, Math.floor(latencyMs * 10))]! += 1;
    this.#maxLatencyMs = Math.max(this.#maxLatencyMs, latencyMs);
  }

  #allTime(): LatencySummary | null {
    if (this.unique === 0) return null;
    const at = (q: number): number => {
      const rank = Math.floor(q * this.unique);
      let seen = 0;
      for (let i = 0; i < this.#histogram.length; i++) {
        seen += this.#histogram[i] ?? 0;
        if (seen > rank) return i / 10;
      }
      return this.#maxLatencyMs;
    };
    const max = Math.round(this.#maxLatencyMs * 100) / 100;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max };
  }

  ranges(): string[] {
    const out: string[] = [];
    let start = -1;
    for (let s = 0; s <= this.maxSeq + 1; s++) {
      const has = s <= this.maxSeq && ((this.#seen[s >> 3] ?? 0) & (1 << (s & 7))) !== 0;
      if (has && start < 0) start = s;
      if (!has && start >= 0) {
        out.push(start === s - 1 ? String(start) : `${start}-${s - 1}`);
        start = -1;
      }
    }
    return out;
  }

  report(withRanges: boolean): RxStreamReport {
    const lat = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number): number =>
      Math.round((lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0) * 100) / 100;
    return {
      received: this.received,
      unique: this.unique,
      duplicates: this.duplicates,
      reordered: this.reordered,
      maxSeq: this.maxSeq,
      latencyMs:
        lat.length === 0 ? null : { p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), max: pick(1) },
      latencyAllMs: this.#allTime(),
      ...(withRanges ? { ranges: this.ranges() } : {}),
    };
  }
}

class TxStream {
  sent = 0;
  dropped = 0;
  timer: NodeJS.Timeout | null = null;
}

function main(): void {
  const args = process.argv.slice(2);
  const iface = args[args.indexOf('--iface') + 1];
  if (iface === undefined || !args.includes('--iface')) {
    process.stderr.write('usage: soak-agent --iface IFACE\n');
    process.exit(64);
  }
  const emit = (e: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  const socket = new CanSocket({
    interface: iface,
    fd: true,
    txQueueLimit: 100_000,
    txMaxAgeMs: 2000,
    interfacePollMs: 250,
  });
  const rx = new Map<number, RxStream>();
  const tx = new Map<number, TxStream>();
  const txOf = (id: number): TxStream => {
    let s = tx.get(id);
    if (s === undefined) tx.set(id, (s = new TxStream()));
    return s;
  };

  socket.on('frames', (frames: CanFrame[]) => {
    const now = nowUs();
    for (const f of frames) {
      if (f.isErrorFrame || f.isRemoteFrame || f.data.length !== 8) continue;
      const view = new DataView(f.data.buffer, f.data.byteOffset, 8);
      const seq = view.getUint32(0);
      const sentUs = view.getUint32(4);
      const latencyUs = (now - sentUs) % 2 ** 32;
      let s = rx.get(f.arbitrationId);
      if (s === undefined) rx.set(f.arbitrationId, (s = new RxStream()));
      s.add(seq, (latencyUs < 0 ? latencyUs + 2 ** 32 : latencyUs) / 1000);
    }
  });
  socket.on('drop', (frames) => {
    for (const f of frames) txOf(f.arbitrationId).dropped++;
  });
  socket.on('error', (err) => {
    emit({ event: 'error', message: err.message });
  });

  const frameOf = (id: number, seq: number): CanFrame => {
    const data = new Uint8Array(8);
    const view = new DataView(data.buffer);
    view.setUint32(0, seq);
    view.setUint32(4, nowUs() % 2 ** 32);
    return makeFrame({ arbitrationId: id, isExtendedId: id > 0x7ff, data });
  };

  /** Writes `count` frames (Infinity: until stopped) at `rate` per second, paced every 10 ms. */
  const start = (id: number, count: number, rate: number): void => {
    const s = txOf(id);
    if (s.timer !== null) clearInterval(s.timer);
    const t0 = performance.now();
    const base = s.sent;
    const tick = (): void => {
      const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      // At most a second's worth at once: after a stall, catch up without a burst the kernel drops.
      let n = Math.min(due - (s.sent - base), Math.max(1, rate));
      while (n-- > 0) socket.send(frameOf(id, s.sent++));
      if (s.sent - base >= count) finish(id);
    };
    s.timer = setInterval(tick, 10);
    tick();
  };
  const finish = (id: number): void => {
    const s = txOf(id);
    if (s.timer !== null) clearInterval(s.timer);
    s.timer = null;
    // Report once the socket's queue is empty, so `dropped` is final.
    const done = (): void => {
      if (socket.counters.txQueued > 0) {
        setTimeout(done, 20);
        return;
      }
      emit({ event: 'sent', id, count: s.sent, dropped: s.dropped });
    };
    done();
  };

  const onCommand = (cmd: Record<string, unknown>): void => {
    const id = Number(cmd.id);
    switch (cmd.cmd) {
      case 'send':
        start(id, Number(cmd.count), Number(cmd.rate ?? 1000));
        return;
      case 'stream':
        start(id, Infinity, Number(cmd.rate ?? 100));
        return;
      case 'stop':
        finish(id);
        return;
      case 'report': {
        const report: AgentReport = {
          event: 'report',
          rx: {},
          tx: {},
          rssBytes: process.memoryUsage.rss(),
          rxKernelDrops: socket.counters.rxKernelDrops,
        };
        for (const [k, s] of rx) {
          report.rx[String(k)] = s.report(cmd.ranges === true);
          if (cmd.reset === true) s.latencies = [];
        }
        for (const [k, s] of tx) report.tx[String(k)] = { sent: s.sent, dropped: s.dropped };
        emit(report as unknown as Record<string, unknown>);
        return;
      }
      case 'quit':
        for (const s of tx.values()) if (s.timer !== null) clearInterval(s.timer);
        socket.destroy();
        process.exit(0);
        return;
      default:
        emit({ event: 'error', message: `unknown command ${JSON.stringify(cmd)}` });
    }
  };

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === '') return;
    try {
      onCommand(JSON.parse(line) as Record<string, unknown>);
    } catch (err) {
      emit({ event: 'error', message: (err as Error).message });
    }
  });
  process.stdin.on('end', () => {
    socket.destroy();
    process.exit(0);
  });
  void socket.start();
  emit({ event: 'ready' });
}

main();
