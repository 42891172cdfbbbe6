/**
 * Numbers and tables of bench/bridge-bench.ts: one line per measured run, and the summary table
 * with ratios (ours vs python-can, ours vs cangw).
 */
import { CLK_TCK } from './bridge-bench-proc.js';
import type { RunResult } from './bridge-bench-receiver.js';

export interface GeneratorReport {
  sent: number;
  elapsedMs: number;
  /** CPU ticks the generator used (last sample before it exited; NaN if none). */
  ticks: number;
  maxBurst: number;
  dropped: number;
}

export interface Measured {
  system: string;
  kind: 'warmup' | 'step' | 'latency';
  rate: number;
  seconds: number;
  gen: GeneratorReport;
  rx: RunResult;
  /** CPU ticks of bridge A and B over the run (NaN: no process). */
  cpuTicksA: number;
  cpuTicksB: number;
  /** Busy ticks of the whole VM over the run (includes generator and receiver). */
  machineTicks: number;
  /** CPU ticks of the generator and of the receiver (this process) over the run. */
  generatorTicks: number;
  receiverTicks: number;
  udpDropsA: number;
  udpDropsB: number;
  backlogDrops: number;
  udpRcvbufErrors: number;
  /** Milliseconds from the generator's last frame until the receiver went quiet. */
  drainMs: number;
}

export function lost(m: Measured): number {
  return m.gen.sent - m.rx.received;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Achieved send rate, frames/s. */
export function achievedRate(m: Measured): number {
  return m.gen.sent / (m.gen.elapsedMs / 1000);
}

/** Microseconds of CPU per frame that reached B. */
export function cpuUsPerFrame(ticks: number, frames: number): number {
  return frames > 0 ? (ticks * 1e6) / CLK_TCK / frames : Number.NaN;
}

function ms(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  return us >= 100_000 ? `${(us / 1000).toFixed(0)} ms` : `${(us / 1000).toFixed(2)} ms`;
}

function num(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** One progress line per run. */
export function runLine(m: Measured): string {
  const l = lost(m);
  const lat = m.rx.latenciesUs;
  const cpuAB = cpuUsPerFrame(m.cpuTicksA + m.cpuTicksB, m.rx.received);
  const parts = [
    `${m.system} ${m.kind} ${m.rate}/s x ${m.seconds}s:`,
    `sent ${m.gen.sent} at ${num(achievedRate(m))}/s (burst <= ${m.gen.maxBurst})`,
    `recv ${m.rx.received} lost ${l} (${num((100 * l) / Math.max(1, m.gen.sent), 2)}%)`,
    `dup ${m.rx.duplicates} back-on-origin ${m.rx.backOnOrigin} reordered ${m.rx.reordered}`,
    `p50 ${ms(percentile(lat, 0.5))} p99 ${ms(percentile(lat, 0.99))} max ${ms(percentile(lat, 1))}`,
    `CPU A+B ${num(cpuAB, 1)} us/frame (A ${num(cpuUsPerFrame(m.cpuTicksA, m.rx.received), 1)})`,
    `VM ${num(cpuUsPerFrame(m.machineTicks, m.rx.received), 1)} us/frame`,
    `gen ${num(cpuUsPerFrame(m.generatorTicks, m.gen.sent), 1)} rx ${num(cpuUsPerFrame(m.receiverTicks, m.rx.received), 1)} us/frame`,
    `udp drops A/B ${m.udpDropsA}/${m.udpDropsB} rcvbuf errs ${m.udpRcvbufErrors}`,
    `backlog drops ${m.backlogDrops} receiver drops ${m.rx.receiverDrops} drain ${num(m.drainMs)} ms`,
  ];
  return parts.join(' | ');
}

export interface SystemSummary {
  system: string;
  /** Highest offered rate without loss; 0 when none. */
  lossless: number;
  /** The rate the generator achieved in that step (below the offered one on a busy machine). */
  losslessAchieved: number;
  /** True when it was lossless at the highest rate tried (the real limit is higher). */
  capped: boolean;
  /** The first lossy rate and its loss in %, if any. */
  firstLossy: { rate: number; lossPct: number } | null;
  latency: Map<number, Measured>;
}

export function summarize(system: string, runs: readonly Measured[]): SystemSummary {
  const steps = runs.filter((r) => r.kind === 'step');
  const passed = new Set(steps.filter((r) => lost(r) === 0).map((r) => r.rate));
  const tried = [...new Set(steps.map((r) => r.rate))].sort((a, b) => a - b);
  let lossless = 0;
  let losslessAchieved = 0;
  let firstLossy: SystemSummary['firstLossy'] = null;
  for (const rate of tried) {
    if (passed.has(rate)) {
      lossless = rate;
      losslessAchieved = Math.max(
        ...steps.filter((r) => r.rate === rate && lost(r) === 0).map(achievedRate),
      );
      continue;
    }
    const worst = steps.filter((r) => r.rate === rate).map((r) => lost(r) / r.gen.sent);
    firstLossy = { rate, lossPct: 100 * Math.min(...worst) };
    break;
  }
  const latency = new Map<number, Measured>();
  for (const r of runs) if (r.kind === 'latency') latency.set(r.rate, r);
  return { system, lossless, losslessAchieved, capped: firstLossy === null, firstLossy, latency };
}

function p99(s: SystemSummary | undefined, rate: number): number {
  const m = s?.latency.get(rate);
  return m === undefined ? Number.NaN : percentile(m.rx.latenciesUs, 0.99);
}

function ratio(x: number, y: number, digits = 1): string {
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? `${(x / y).toFixed(digits)}x` : 'n/a';
}

/** The markdown summary: one row per system, then ratio rows. */
export function summaryTable(
  summaries: readonly SystemSummary[],
  latencyRates: readonly number[],
): string {
  const head = ['system', 'lossless up to, offered (achieved) frames/s', 'first lossy rate (loss)'];
  for (const r of latencyRates) head.push(`p50 @${r}/s`, `p99 @${r}/s`, `loss @${r}/s`);
  head.push(`CPU A+B us/frame @${latencyRates[0] ?? 0}/s`, 'VM CPU us/frame');
  const rows = [head, head.map(() => '---')];
  for (const s of summaries) {
    const row = [
      s.system,
      s.lossless === 0
        ? 'none of the rates tried'
        : `${s.capped ? '>= ' : ''}${s.lossless} (${s.losslessAchieved.toFixed(0)})`,
      s.firstLossy === null
        ? '-'
        : `${s.firstLossy.rate} (${s.firstLossy.lossPct.toFixed(s.firstLossy.lossPct < 1 ? 2 : 0)}%)`,
    ];
    for (const r of latencyRates) {
      const m = s.latency.get(r);
      if (m === undefined) {
        row.push('-', '-', '-');
        continue;
      }
      const pct = (100 * lost(m)) / Math.max(1, m.gen.sent);
      row.push(
        `${ms(percentile(m.rx.latenciesUs, 0.5))} (at ${achievedRate(m).toFixed(0)}/s)`,
        ms(percentile(m.rx.latenciesUs, 0.99)),
        `${pct.toFixed(pct > 0 && pct < 1 ? 2 : 0)}%`,
      );
    }
    const m0 = s.latency.get(latencyRates[0] ?? 0);
    row.push(
      m0 === undefined
        ? '-'
        : Number.isNaN(m0.cpuTicksA)
          ? 'in kernel'
          : num(cpuUsPerFrame(m0.cpuTicksA + m0.cpuTicksB, m0.rx.received), 0),
      m0 === undefined ? '-' : num(cpuUsPerFrame(m0.machineTicks, m0.rx.received), 0),
    );
    rows.push(row);
  }
  const ours = summaries.find((s) => s.system.startsWith('can-multicast'));
  for (const other of summaries.filter((s) => s !== ours)) {
    if (ours === undefined) break;
    const lossRatio =
      other.lossless === 0
        ? 'n/a'
        : `${ours.capped ? '>= ' : ''}${ratio(ours.lossless, other.lossless)}`;
    const row = [`ours vs ${other.system}`, lossRatio, ''];
    for (const r of latencyRates) {
      const om = ours.latency.get(r);
      const xm = other.latency.get(r);
      const p50 =
        om && xm
          ? ratio(percentile(om.rx.latenciesUs, 0.5), percentile(xm.rx.latenciesUs, 0.5), 2)
          : 'n/a';
      row.push(p50, ratio(p99(ours, r), p99(other, r), 2), '');
    }
    row.push('', '');
    rows.push(row);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}
