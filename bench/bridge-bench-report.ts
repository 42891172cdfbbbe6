/**
 * What bench/bridge-bench.ts prints, pure: one progress line per step (stderr), the summary table
 * (one row per system), the ratio table (ours against each other system) in markdown, and the
 * JSON dump.
 */
import type { StepMeasure, SystemSummary } from './bench-stats.js';
import {
  CLK_TCK,
  achievedRate,
  cpuMsPerFrame,
  invalidReasons,
  lossPercent,
  lost,
  ratio,
} from './bench-stats.js';

/** The system name of our daemons: the ratio rows are ours against each other system. */
export const OURS = 'can-multicast-bridge';

/** Milliseconds from microseconds, with the digits that matter at that size. */
export function formatMs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  const ms = us / 1000;
  if (ms < 0.1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return `${r.toFixed(r < 10 ? 2 : r < 100 ? 1 : 0)}x`;
}

function pct(x: number): string {
  return x > 0 && x < 1 ? x.toFixed(2) : x.toFixed(0);
}

function rate(x: number): string {
  return Number.isFinite(x) ? x.toFixed(0) : 'n/a';
}

/** One line per step, for the progress on stderr. */
export function progressLine(m: StepMeasure): string {
  const reasons = invalidReasons(m);
  const cpuA = (m.cpuTicksA * 1000) / CLK_TCK / Math.max(1, m.match.received);
  const head = `${m.system} ${m.kind} ${m.offered}/s x ${m.seconds} s:`;
  const parts = [
    `sent ${m.pacer.sent} at ${rate(achievedRate(m.pacer))}/s (late <= ${formatMs(m.pacer.maxLateNs / 1000)} ms${m.pacer.realtime ? '' : ', not SCHED_FIFO'})`,
    `on A ${m.match.seenOnA} on B ${m.match.received} lost ${lost(m)} (${pct(lossPercent(m))}%)`,
    `dup ${m.match.duplicates} back-on-A ${m.match.backOnOrigin} reordered ${m.match.reordered}`,
    `p50/p99/max ${formatMs(m.latency.p50Us)}/${formatMs(m.latency.p99Us)}/${formatMs(m.latency.maxUs)} ms`,
    Number.isNaN(m.cpuTicksA)
      ? 'CPU in kernel'
      : `CPU A+B ${cpuMsPerFrame(m).toFixed(3)} ms/frame (A ${cpuA.toFixed(3)})`,
    `rcvbuf errs ${m.udpRcvbufErrors} udp drops A/B ${m.udpDropsA}/${m.udpDropsB} backlog ${m.backlogDrops}`,
    `drain ${m.drainMs.toFixed(0)} ms`,
  ];
  if (reasons.length > 0) parts.push(`INVALID: ${reasons.join(', ')}`);
  return `${head} ${parts.join(' | ')}`;
}

/** "p50 / p99 / max" of a step, or why it is not a result. */
function latencyCell(m: StepMeasure | undefined): string {
  if (m === undefined) return '-';
  const reasons = invalidReasons(m);
  if (reasons.length > 0) return `invalid (${reasons.join(', ')})`;
  const l = m.latency;
  const cell = `${formatMs(l.p50Us)} / ${formatMs(l.p99Us)} / ${formatMs(l.maxUs)}`;
  return lost(m) > 0 ? `${cell} (${pct(lossPercent(m))}% lost)` : cell;
}

function cpuCell(m: StepMeasure | undefined): string {
  if (m === undefined) return '-';
  if (Number.isNaN(m.cpuTicksA)) return 'in kernel';
  if (invalidReasons(m).length > 0) return 'invalid';
  return cpuMsPerFrame(m).toFixed(3);
}

function losslessCell(s: SystemSummary): string {
  const parts: string[] = [];
  if (s.losslessUpTo === null) parts.push('none');
  else parts.push(`${s.capped ? '>= ' : ''}${rate(s.losslessUpTo)}`);
  if (s.firstLossy !== null) {
    parts.push(`(${s.firstLossy.offered}: ${pct(s.firstLossy.lossPct)}% lost)`);
  }
  if (s.invalid.length > 0) parts.push(`(invalid: ${s.invalid.join(', ')})`);
  return parts.join(' ');
}

function table(rows: string[][]): string {
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The summary: one row per system. Latencies in ms, CPU in ms per delivered frame. */
export function summaryTable(
  summaries: readonly SystemSummary[],
  columnRates: readonly number[],
): string {
  const head = ['system', 'lossless up to (achieved/s)'];
  for (const r of columnRates) head.push(`p50 / p99 / max at ${r}/s (ms)`);
  head.push(`CPU A+B ms/frame at ${columnRates.map(String).join(' / ')}/s`, 'reordered');
  const rows = [head, head.map((_, i) => (i === 0 ? '---' : '--:'))];
  for (const s of summaries) {
    const row = [s.system, losslessCell(s)];
    for (const r of columnRates) row.push(latencyCell(s.at.get(r)));
    row.push(columnRates.map((r) => cpuCell(s.at.get(r))).join(' / '));
    row.push(String(s.maxReordered));
    rows.push(row);
  }
  return table(rows);
}

function stepValue(s: SystemSummary, rate: number, pick: (m: StepMeasure) => number): number {
  const m = s.at.get(rate);
  return m === undefined || invalidReasons(m).length > 0 ? Number.NaN : pick(m);
}

/**
 * Ours against each other system: lossless rate (higher is better for ours when > 1x), latency
 * and CPU per frame (lower is better for ours when < 1x).
 */
export function ratioTable(
  summaries: readonly SystemSummary[],
  columnRates: readonly number[],
): string {
  const ours = summaries.find((s) => s.system === OURS);
  const others = summaries.filter((s) => s !== ours);
  if (ours === undefined || others.length === 0) return '';
  const head = ['ours / system', 'lossless up to'];
  for (const r of columnRates) head.push(`p50 at ${r}/s`, `p99 at ${r}/s`, `max at ${r}/s`);
  for (const r of columnRates) head.push(`CPU at ${r}/s`);
  const rows = [head, head.map((_, i) => (i === 0 ? '---' : '--:'))];
  for (const other of others) {
    const lossless = ratio(ours.losslessUpTo ?? Number.NaN, other.losslessUpTo ?? Number.NaN);
    // Ours capped: its limit is at least this; the other's capped: its limit may be higher.
    const bound = ours.capped && !other.capped ? '>= ' : !ours.capped && other.capped ? '<= ' : '';
    const row = [
      `ours / ${other.system}`,
      Number.isFinite(lossless) ? bound + formatRatio(lossless) : 'n/a',
    ];
    for (const r of columnRates) {
      for (const pick of [
        (m: StepMeasure) => m.latency.p50Us,
        (m: StepMeasure) => m.latency.p99Us,
        (m: StepMeasure) => m.latency.maxUs,
      ]) {
        row.push(formatRatio(ratio(stepValue(ours, r, pick), stepValue(other, r, pick))));
      }
    }
    for (const r of columnRates) {
      const theirs = other.at.get(r);
      if (theirs !== undefined && Number.isNaN(theirs.cpuTicksA)) {
        row.push('n/a (in kernel)');
        continue;
      }
      row.push(
        formatRatio(ratio(stepValue(ours, r, cpuMsPerFrame), stepValue(other, r, cpuMsPerFrame))),
      );
    }
    rows.push(row);
  }
  return table(rows);
}

/** The JSON dump: the run's facts, every step as measured, and each system's summary. */
export function jsonReport(
  meta: Record<string, unknown>,
  steps: readonly StepMeasure[],
  summaries: readonly SystemSummary[],
): string {
  const finite = (_key: string, v: unknown): unknown =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return JSON.stringify(
    {
      meta,
      steps: steps.map((m) => ({
        ...m,
        achieved: achievedRate(m.pacer),
        valid: invalidReasons(m).length === 0,
        invalidReasons: invalidReasons(m),
        cpuMsPerFrame: cpuMsPerFrame(m),
      })),
      summaries: summaries.map((s) => ({ ...s, at: Object.fromEntries(s.at) })),
    },
    finite,
    1,
  );
}
