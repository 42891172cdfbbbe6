/**
 * The numbers of bench/bridge-bench.ts, pure: what one step measured, whether it counts (the
 * generator achieved at least 98 % of the offered rate and every frame reached the origin bus),
 * latency percentiles, CPU per frame, and per system "lossless up to" over the ladder of steps.
 */
import type { MatchResult } from './seq-match.js';

/** USER_HZ: /proc reports CPU times in these ticks (proc(5): sysconf(_SC_CLK_TCK), 100 on Linux). */
export const CLK_TCK = 100;

/** A step counts only when the generator achieved at least this share of the offered rate. */
export const MIN_ACHIEVED_SHARE = 0.98;

/** The JSON line bench/can-pacer.c prints (times relative to its first deadline). */
export interface PacerReport {
  sent: number;
  rate: number;
  firstWriteNs: number;
  lastWriteNs: number;
  maxLateNs: number;
  retries: number;
  /** Whether it ran SCHED_FIFO (so the bridges under test could not starve it). */
  realtime: boolean;
  cpuNs: number;
}

/** What the receiver matched: bench/seq-match.ts MatchResult without stamps and latencies. */
export type MatchCounts = Omit<
  MatchResult,
  'latenciesUs' | 'lastAUs' | 'lastBUs' | 'worstBySecondUs'
>;

export interface LatencySummary {
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** One step of one system: `offered` frames/s for `seconds`. */
export interface StepMeasure {
  system: string;
  /** 'first': the first traffic after start-up, before the warm-up (issue 9 section 4). */
  kind: 'first' | 'warmup' | 'step';
  offered: number;
  seconds: number;
  pacer: PacerReport;
  match: MatchCounts;
  latency: LatencySummary;
  /** CPU ticks of bridge A and B over the step and its drain (NaN: no process, cangw). */
  cpuTicksA: number;
  cpuTicksB: number;
  /** Frames the receiver's own sockets dropped (then the step says nothing about the bridge). */
  receiverDrops: number;
  /** CPU ticks of the receiver, and busy ticks of the whole VM, over the step. */
  receiverTicks: number;
  machineTicks: number;
  /** Kernel counters over the step: input backlog drops, UDP receive-buffer overflows. */
  backlogDrops: number;
  udpRcvbufErrors: number;
  /** Drops on the UDP sockets of A and B (/proc/net/udp), socket-filter refusals included. */
  udpDropsA: number;
  udpDropsB: number;
  /** Milliseconds from the last frame of the step on A to the last on B (kernel stamps). */
  drainMs: number;
  /** Worst latency in each second of the step, microseconds (seq-match.ts `worstBySecondUs`). */
  worstBySecondUs?: number[];
}

/** Nearest-rank percentile of an ascending array (q in 0..1); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

export function latencySummary(sortedUs: ArrayLike<number>): LatencySummary {
  return {
    p50Us: percentile(sortedUs, 0.5),
    p99Us: percentile(sortedUs, 0.99),
    maxUs: percentile(sortedUs, 1),
  };
}

/**
 * Frames per second the generator achieved: `sent` frames took from the first deadline to the
 * last write plus one interval (a perfect pacer gives exactly the offered rate).
 */
export function achievedRate(p: PacerReport): number {
  const spanNs = p.lastWriteNs + 1e9 / p.rate;
  return spanNs > 0 ? (p.sent * 1e9) / spanNs : Number.NaN;
}

/** Why a step does not count; empty when it does. */
export function invalidReasons(m: StepMeasure): string[] {
  const reasons: string[] = [];
  const achieved = achievedRate(m.pacer);
  if (!(achieved >= MIN_ACHIEVED_SHARE * m.offered)) {
    reasons.push(`achieved ${achieved.toFixed(0)}/s < 98% of ${m.offered}/s`);
  }
  if (m.match.seenOnA < m.pacer.sent) {
    reasons.push(`${m.pacer.sent - m.match.seenOnA} frames never seen on A`);
  }
  if (m.receiverDrops > 0) reasons.push(`receiver dropped ${m.receiverDrops}`);
  return reasons;
}

export function isValid(m: StepMeasure): boolean {
  return invalidReasons(m).length === 0;
}

/** Frames seen on A that never reached B. */
export function lost(m: StepMeasure): number {
  return m.match.missing;
}

export function lossPercent(m: StepMeasure): number {
  return m.match.seenOnA > 0 ? (100 * m.match.missing) / m.match.seenOnA : Number.NaN;
}

/** Milliseconds of CPU of bridges A and B per frame delivered to B; NaN without a process. */
export function cpuMsPerFrame(m: StepMeasure): number {
  const ticks = m.cpuTicksA + m.cpuTicksB;
  return m.match.received > 0 ? (ticks * 1000) / CLK_TCK / m.match.received : Number.NaN;
}

export interface SystemSummary {
  system: string;
  /** Achieved rate of the highest valid lossless step below the first valid lossy one. */
  losslessUpTo: number | null;
  /** True when no valid step lost a frame (the limit is at or above `losslessUpTo`). */
  capped: boolean;
  firstLossy: { offered: number; achieved: number; lossPct: number } | null;
  /** Offered rates of the steps that did not count. */
  invalid: number[];
  /** The steps at the columns' rates (offered), by rate. */
  at: Map<number, StepMeasure>;
  /** Most reordered arrivals in one step, and duplicates over all steps. */
  maxReordered: number;
  duplicates: number;
}

export function summarize(
  system: string,
  steps: readonly StepMeasure[],
  columnRates: readonly number[],
): SystemSummary {
  const ladder = steps.filter((s) => s.kind === 'step').sort((a, b) => a.offered - b.offered);
  let losslessUpTo: number | null = null;
  let firstLossy: SystemSummary['firstLossy'] = null;
  for (const s of ladder) {
    if (!isValid(s)) continue;
    if (lost(s) === 0) {
      losslessUpTo = achievedRate(s.pacer);
      continue;
    }
    firstLossy = { offered: s.offered, achieved: achievedRate(s.pacer), lossPct: lossPercent(s) };
    break;
  }
  const at = new Map<number, StepMeasure>();
  for (const rate of columnRates) {
    const s = ladder.find((x) => x.offered === rate);
    if (s !== undefined) at.set(rate, s);
  }
  return {
    system,
    losslessUpTo,
    capped: firstLossy === null,
    firstLossy,
    invalid: ladder.filter((s) => !isValid(s)).map((s) => s.offered),
    at,
    maxReordered: Math.max(0, ...ladder.map((s) => s.match.reordered)),
    duplicates: ladder.reduce((n, s) => n + s.match.duplicates, 0),
  };
}

/**
 * Whether the ladder goes on after `done` (ascending): every rate up to the highest column rate
 * runs; above it the ladder stops after the first valid lossy step.
 */
export function ladderContinues(
  done: readonly StepMeasure[],
  nextRate: number,
  columnRates: readonly number[],
): boolean {
  if (nextRate <= Math.max(0, ...columnRates)) return true;
  return !done.some((s) => s.kind === 'step' && isValid(s) && lost(s) > 0);
}

/** x / y, or NaN when either is not a positive finite number. */
export function ratio(x: number, y: number): number {
  return Number.isFinite(x) && Number.isFinite(y) && x >= 0 && y > 0 ? x / y : Number.NaN;
}
