import { describe, expect, it } from 'vitest';
import { summarize } from '../../../bench/bench-stats.js';
import {
  OURS,
  formatMs,
  formatRatio,
  jsonReport,
  progressLine,
  ratioTable,
  summaryTable,
} from '../../../bench/bridge-bench-report.js';
import type { StepOptions } from '../../support/bench-step.js';
import { step } from '../../support/bench-step.js';

const cols = [1000, 4000];

/** A system's summary from its ladder (rate -> step options). */
function system(name: string, ladder: Record<number, StepOptions>) {
  return summarize(
    name,
    Object.entries(ladder).map(([rate, o]) => step({ system: name, offered: Number(rate), ...o })),
    cols,
  );
}

describe('formatMs and formatRatio', () => {
  it.each([
    [12, '0.012'],
    [1600, '1.60'],
    [19_400, '19.4'],
    [617_000, '617'],
    [Number.NaN, 'n/a'],
  ])('%d us is %s ms', (us, text) => {
    expect(formatMs(us)).toBe(text);
  });

  it.each([
    [0.456, '0.46x'],
    [12.34, '12.3x'],
    [Number.NaN, 'n/a'],
  ])('%d is %s', (r, text) => {
    expect(formatRatio(r)).toBe(text);
  });
});

describe('summaryTable', () => {
  const ours = system(OURS, {
    500: {},
    1000: { latencyUs: [2000, 19_000, 33_000], ticks: [70, 60] },
    4000: { latencyUs: [60_000, 235_000, 617_000], ticks: [70, 66] },
    8000: { lost: 24_800 },
  });
  const gw = system('cangw (kernel)', {
    1000: { latencyUs: [10, 1100, 2000], ticks: [Number.NaN, Number.NaN] },
    4000: { latencyUs: [10, 70, 900], ticks: [Number.NaN, Number.NaN] },
    16_000: { share: 0.7, ticks: [Number.NaN, Number.NaN] },
  });
  const table = summaryTable([ours, gw], cols).split('\n');

  it('has a header, an alignment row and one row per system', () => {
    expect(table).toHaveLength(4);
    expect(table[0]).toBe(
      '| system | lossless up to (achieved/s) | p50 / p99 / max at 1000/s (ms) | p50 / p99 / max at 4000/s (ms) | CPU A+B ms/frame at 1000 / 4000/s | reordered |',
    );
  });

  it('shows the lossless rate with the first lossy step, latencies and CPU per frame', () => {
    expect(table[2]).toBe(
      '| can-multicast-bridge | 4000 (8000: 31% lost) | 2.00 / 19.0 / 33.0 | 60.0 / 235 / 617 | 0.130 / 0.034 | 0 |',
    );
  });

  it('marks a never-lossy ladder with ">=", lists invalid steps, and says "in kernel" for cangw', () => {
    expect(table[3]).toBe(
      '| cangw (kernel) | >= 4000 (invalid: 16000) | 0.010 / 1.10 / 2.00 | 0.010 / 0.070 / 0.90 | in kernel / in kernel | 0 |',
    );
  });

  it('reports an invalid column step as invalid, with why, never with its numbers', () => {
    const slow = system('slow', { 1000: { share: 0.5 }, 4000: {} });
    const row = summaryTable([slow], cols).split('\n')[2] ?? '';
    expect(row).toContain('invalid (achieved 500/s < 98% of 1000/s)');
    expect(row).toContain('| invalid / 0.025 |');
  });

  it('adds the loss to a lossy column step', () => {
    const lossy = system('lossy', { 1000: { lost: 100 } });
    expect(summaryTable([lossy], cols)).toContain('2.00 / 20.0 / 40.0 (1% lost)');
  });
});

describe('ratioTable', () => {
  const ours = system(OURS, {
    1000: { latencyUs: [2000, 20_000, 40_000], ticks: [60, 40] },
    4000: { latencyUs: [4000, 8000, 16_000], ticks: [100, 100] },
    8000: { lost: 5 },
  });
  const cannelloni = system('cannelloni -t 1000', {
    1000: { latencyUs: [1000, 10_000, 20_000], ticks: [40, 40] },
    4000: { latencyUs: [8000, 16_000, 64_000], ticks: [200, 200] },
    8000: {},
  });
  const gw = system('cangw (kernel)', {
    1000: { latencyUs: [10, 1000, 2000], ticks: [Number.NaN, Number.NaN] },
    4000: { latencyUs: [10, 100, 1000], ticks: [Number.NaN, Number.NaN] },
    8000: { ticks: [Number.NaN, Number.NaN] },
  });
  const rows = ratioTable([cannelloni, ours, gw], cols).split('\n');

  it('has one row per other system: ours / theirs', () => {
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe(
      '| ours / system | lossless up to | p50 at 1000/s | p99 at 1000/s | max at 1000/s | p50 at 4000/s | p99 at 4000/s | max at 4000/s | CPU at 1000/s | CPU at 4000/s |',
    );
  });

  it('divides our numbers by theirs; a capped other limit makes ours an upper bound', () => {
    expect(rows[2]).toBe(
      '| ours / cannelloni -t 1000 | <= 0.50x | 2.00x | 2.00x | 2.00x | 0.50x | 0.50x | 0.25x | 1.25x | 0.50x |',
    );
  });

  it('has no CPU ratio against the kernel', () => {
    expect(rows[3]).toBe(
      '| ours / cangw (kernel) | <= 0.50x | 200x | 20.0x | 20.0x | 400x | 80.0x | 16.0x | n/a (in kernel) | n/a (in kernel) |',
    );
  });

  it('is empty without our system or without another one', () => {
    expect(ratioTable([cannelloni], cols)).toBe('');
    expect(ratioTable([ours], cols)).toBe('');
  });
});

describe('progressLine', () => {
  it('says what was sent, achieved and lost, and flags an invalid step', () => {
    const line = progressLine(step({ offered: 4000, share: 0.9, lost: 400 }));
    expect(line).toMatch(/^can-multicast-bridge step 4000\/s x 10 s: sent 40000 at 3600\/s/);
    expect(line).toContain('lost 400 (1%)');
    expect(line).toContain('INVALID: achieved 3600/s < 98% of 4000/s');
  });

  it('has no INVALID mark on a valid step', () => {
    expect(progressLine(step())).not.toContain('INVALID');
  });
});

describe('jsonReport', () => {
  it('keeps every step with its derived numbers, and turns NaN into null', () => {
    const steps = [step({ ticks: [Number.NaN, Number.NaN] })];
    const parsed = JSON.parse(jsonReport({ run: 1 }, steps, [summarize('x', steps, cols)])) as {
      meta: { run: number };
      steps: { achieved: number; valid: boolean; cpuTicksA: null; cpuMsPerFrame: null }[];
      summaries: { at: Record<string, unknown>; losslessUpTo: number }[];
    };
    expect(parsed.meta.run).toBe(1);
    expect(parsed.steps[0]).toMatchObject({ valid: true, cpuTicksA: null, cpuMsPerFrame: null });
    expect(parsed.steps[0]?.achieved).toBeCloseTo(1000, 6);
    expect(Object.keys(parsed.summaries[0]?.at ?? {})).toEqual(['1000']);
    expect(parsed.summaries[0]?.losslessUpTo).toBeCloseTo(1000, 6);
  });
});
