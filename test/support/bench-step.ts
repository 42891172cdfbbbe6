/** A StepMeasure for the tests of bench/bench-stats.ts and bench/bridge-bench-report.ts. */
import type { StepMeasure } from '../../bench/bench-stats.js';

export interface StepOptions {
  system?: string;
  offered?: number;
  seconds?: number;
  /** Achieved share of the offered rate (1 = perfect pacing). */
  share?: number;
  lost?: number;
  notOnA?: number;
  reordered?: number;
  duplicates?: number;
  receiverDrops?: number;
  /** CPU ticks of A and B (NaN: no process). */
  ticks?: [number, number];
  latencyUs?: [number, number, number];
  kind?: StepMeasure['kind'];
}

export function step(o: StepOptions = {}): StepMeasure {
  const offered = o.offered ?? 1000;
  const seconds = o.seconds ?? 10;
  const sent = offered * seconds;
  const share = o.share ?? 1;
  // A pacer that achieved `share`: the span of the step stretched by 1 / share.
  const lastWriteNs = (sent * 1e9) / (offered * share) - 1e9 / offered;
  const seenOnA = sent - (o.notOnA ?? 0);
  const missing = o.lost ?? 0;
  const [p50Us, p99Us, maxUs] = o.latencyUs ?? [2000, 20_000, 40_000];
  const [a, b] = o.ticks ?? [50, 50];
  return {
    system: o.system ?? 'can-multicast-bridge',
    kind: o.kind ?? 'step',
    offered,
    seconds,
    pacer: {
      sent,
      rate: offered,
      firstWriteNs: 1000,
      lastWriteNs,
      maxLateNs: 0,
      retries: 0,
      realtime: true,
      cpuNs: 0,
    },
    match: {
      seenOnA,
      received: seenOnA - missing,
      missing,
      duplicates: o.duplicates ?? 0,
      backOnOrigin: 0,
      reordered: o.reordered ?? 0,
      foreign: 0,
    },
    latency: { p50Us, p99Us, maxUs },
    cpuTicksA: a,
    cpuTicksB: b,
    receiverDrops: o.receiverDrops ?? 0,
    receiverTicks: 0,
    machineTicks: 0,
    backlogDrops: 0,
    udpRcvbufErrors: 0,
    udpDropsA: 0,
    udpDropsB: 0,
    drainMs: 0,
  };
}
