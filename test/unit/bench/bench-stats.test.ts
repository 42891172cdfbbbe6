import { describe, expect, it } from 'vitest';
import {
  achievedRate,
  cpuMsPerFrame,
  invalidReasons,
  ladderContinues,
  latencySummary,
  lossPercent,
  percentile,
  ratio,
  summarize,
} from '../../../bench/bench-stats.js';
import { step } from '../../support/bench-step.js';

describe('percentile', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it.each([
    [0.5, 50],
    [0.99, 99],
    [1, 100],
    [0, 1],
    [0.001, 1],
  ])('is the nearest rank: q %d of 1..100 is %d', (q, want) => {
    expect(percentile(hundred, q)).toBe(want);
  });

  it('is NaN for no samples and the sample itself for one', () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('summarizes p50, p99 and max', () => {
    expect(latencySummary(hundred)).toEqual({ p50Us: 50, p99Us: 99, maxUs: 100 });
  });
});

describe('achievedRate', () => {
  it('is the offered rate for a perfect pacer (last write at (n - 1) / rate)', () => {
    const p = {
      sent: 10_000,
      rate: 1000,
      firstWriteNs: 0,
      lastWriteNs: 9.999e9,
      maxLateNs: 0,
      retries: 0,
      realtime: true,
      cpuNs: 0,
    };
    expect(achievedRate(p)).toBeCloseTo(1000, 6);
  });

  it('falls when the last frame went out late', () => {
    const p = {
      sent: 10_000,
      rate: 1000,
      firstWriteNs: 0,
      lastWriteNs: 10.999e9,
      maxLateNs: 1e9,
      retries: 0,
      realtime: true,
      cpuNs: 0,
    };
    expect(achievedRate(p)).toBeCloseTo(10_000 / 11, 6);
  });
});

describe('invalidReasons', () => {
  it('accepts a step at exactly 98 % of the offered rate', () => {
    expect(invalidReasons(step({ share: 0.98 }))).toEqual([]);
  });

  it('rejects a step below 98 %, naming the achieved rate', () => {
    expect(invalidReasons(step({ offered: 4000, share: 0.9 }))).toEqual([
      'achieved 3600/s < 98% of 4000/s',
    ]);
  });

  it('rejects a step whose frames did not all reach the origin bus, or the receiver dropped', () => {
    expect(invalidReasons(step({ notOnA: 3, receiverDrops: 2 }))).toEqual([
      '3 frames never seen on A',
      'receiver dropped 2',
    ]);
  });
});

describe('loss and CPU per frame', () => {
  it('takes loss against the frames seen on A', () => {
    expect(lossPercent(step({ offered: 1000, lost: 2500 }))).toBe(25);
  });

  it('converts ticks of A + B to ms per delivered frame (100 ticks/s)', () => {
    // 30 + 20 ticks = 500 ms over 10,000 - 5,000 delivered frames.
    expect(cpuMsPerFrame(step({ ticks: [30, 20], lost: 5000 }))).toBeCloseTo(0.1, 9);
  });

  it('is NaN for a system without processes (cangw)', () => {
    expect(cpuMsPerFrame(step({ ticks: [Number.NaN, Number.NaN] }))).toBeNaN();
  });
});

describe('summarize', () => {
  const cols = [1000, 4000];

  it('is lossless up to the achieved rate below the first lossy step', () => {
    const s = summarize(
      'x',
      [
        step({ offered: 500 }),
        step({ offered: 1000, share: 0.99 }),
        step({ offered: 2000, lost: 10 }),
        step({ offered: 4000 }),
      ],
      cols,
    );
    expect(s.losslessUpTo).toBeCloseTo(990, 6);
    expect(s.capped).toBe(false);
    expect(s.firstLossy).toMatchObject({ offered: 2000, lossPct: 0.05 });
  });

  it('skips invalid steps, lists them, and marks a ladder with no loss as capped', () => {
    const s = summarize(
      'x',
      [step({ offered: 16_000, share: 0.5 }), step({ offered: 8000 }), step({ offered: 500 })],
      cols,
    );
    expect(s.losslessUpTo).toBeCloseTo(8000, 6);
    expect(s.capped).toBe(true);
    expect(s.invalid).toEqual([16_000]);
  });

  it('has no lossless rate when the first valid step loses', () => {
    const s = summarize('x', [step({ offered: 500, lost: 1 }), step({ offered: 1000 })], cols);
    expect(s.losslessUpTo).toBeNull();
    expect(s.firstLossy?.offered).toBe(500);
  });

  it('picks the column steps, the most reordered in one step and all duplicates', () => {
    const s = summarize(
      'x',
      [
        step({ offered: 1000, reordered: 5, duplicates: 1 }),
        step({ offered: 4000, reordered: 9, duplicates: 2 }),
        step({ offered: 500, kind: 'warmup', reordered: 100 }),
      ],
      cols,
    );
    expect([...s.at.keys()]).toEqual([1000, 4000]);
    expect(s.maxReordered).toBe(9);
    expect(s.duplicates).toBe(3);
  });
});

describe('ladderContinues', () => {
  const cols = [1000, 4000];

  it('always runs up to the highest column rate, lossy or not', () => {
    expect(ladderContinues([step({ offered: 500, lost: 400 })], 4000, cols)).toBe(true);
  });

  it('stops above it after a valid lossy step, not after an invalid one', () => {
    const lossy = [step({ offered: 4000 }), step({ offered: 8000, lost: 1 })];
    expect(ladderContinues(lossy, 16_000, cols)).toBe(false);
    const invalid = [step({ offered: 8000, lost: 1, share: 0.5 })];
    expect(ladderContinues(invalid, 16_000, cols)).toBe(true);
  });
});

describe('ratio', () => {
  it.each([
    [2, 4, 0.5],
    [3, 0, Number.NaN],
    [Number.NaN, 1, Number.NaN],
    [-1, 1, Number.NaN],
  ])('%d / %d is %d', (x, y, want) => {
    expect(ratio(x, y)).toEqual(want);
  });
});
