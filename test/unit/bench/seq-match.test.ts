import { describe, expect, it } from 'vitest';
import { SeqMatcher } from '../../../bench/seq-match.js';
import { SIDE_A, SIDE_B, pacerPayload } from '../../../bench/stamp-records.js';

const ID = 0x123;

/** Feeds `seq` on `side` at `tsUs`. */
function feed(m: SeqMatcher, side: number, seq: number, tsUs: number): boolean {
  return m.add(side, tsUs, ID, pacerPayload(seq, ID), 8);
}

describe('SeqMatcher', () => {
  it('matches every frame once, in order: no loss, no duplicate, latency B - A', () => {
    const m = new SeqMatcher(ID, 4);
    for (let i = 0; i < 4; i++) feed(m, SIDE_A, i, 1000 * i);
    for (let i = 0; i < 4; i++) feed(m, SIDE_B, i, 1000 * i + 10 * (i + 1));
    const r = m.result();
    expect(r).toMatchObject({
      seenOnA: 4,
      received: 4,
      missing: 0,
      duplicates: 0,
      backOnOrigin: 0,
      reordered: 0,
      foreign: 0,
    });
    expect([...r.latenciesUs]).toEqual([10, 20, 30, 40]);
    expect(m.framesOnB).toBe(4);
  });

  it("gives the worst latency of each second of the step, by the frames' stamps on A", () => {
    const m = new SeqMatcher(ID, 6);
    // Seconds 0, 0, 1, 1, 3, 3 (nothing matched in second 2); start at 5 s.
    const aUs = [5e6, 5.5e6, 6.1e6, 6.9e6, 8.2e6, 8.3e6];
    const latUs = [300, 900, 100, 200, 50, 70];
    aUs.forEach((a, i) => feed(m, SIDE_A, i, a));
    aUs.forEach((a, i) => feed(m, SIDE_B, i, a + (latUs[i] ?? 0)));
    expect(m.result().worstBySecondUs).toEqual([900, 200, Number.NaN, 70]);
  });

  it('counts frames seen on A that never reached B as missing', () => {
    const m = new SeqMatcher(ID, 5);
    for (let i = 0; i < 5; i++) feed(m, SIDE_A, i, i);
    for (const i of [0, 2, 4]) feed(m, SIDE_B, i, i + 1);
    expect(m.result()).toMatchObject({ seenOnA: 5, received: 3, missing: 2 });
    expect(m.result().latenciesUs).toHaveLength(3);
  });

  it('counts repeats on B as duplicates and on A as back on the origin bus, first stamp wins', () => {
    const m = new SeqMatcher(ID, 2);
    feed(m, SIDE_A, 0, 100);
    feed(m, SIDE_A, 1, 200);
    feed(m, SIDE_A, 0, 900);
    feed(m, SIDE_B, 0, 150);
    feed(m, SIDE_B, 0, 170);
    feed(m, SIDE_B, 1, 260);
    feed(m, SIDE_B, 1, 290);
    const r = m.result();
    expect(r).toMatchObject({ received: 2, duplicates: 2, backOnOrigin: 1, missing: 0 });
    expect([...r.latenciesUs]).toEqual([50, 60]);
    expect(m.framesOnB).toBe(4);
  });

  it.each([
    ['in order', [0, 1, 2, 3, 4, 5], 0],
    ['one late frame', [0, 2, 3, 4, 1, 5], 1],
    ['a swapped pair', [0, 1, 3, 2, 4, 5], 1],
    ['a batch in reverse', [0, 1, 5, 4, 3, 2], 3],
    ['two interleaved halves', [3, 4, 5, 0, 1, 2], 1],
  ])('counts reordering by descents on B: %s', (_name, order, reordered) => {
    const m = new SeqMatcher(ID, 6);
    for (let i = 0; i < 6; i++) feed(m, SIDE_A, i, i);
    order.forEach((seq, k) => feed(m, SIDE_B, seq, 100 + k));
    expect(m.result().reordered).toBe(reordered);
    expect(m.result().received).toBe(6);
  });

  it('ignores other CAN ids (earlier steps) and counts foreign payloads with its id on B', () => {
    const m = new SeqMatcher(ID, 3);
    expect(m.add(SIDE_B, 1, ID + 1, pacerPayload(0, ID + 1), 8)).toBe(false);
    expect(m.add(SIDE_B, 1, ID, pacerPayload(0, ID + 1), 8)).toBe(false);
    expect(m.add(SIDE_B, 1, ID, pacerPayload(3, ID), 8)).toBe(false);
    expect(m.add(SIDE_B, 1, ID, pacerPayload(0, ID).subarray(0, 4), 4)).toBe(false);
    expect(feed(m, SIDE_B, 2, 5)).toBe(true);
    expect(m.result()).toMatchObject({ foreign: 3, received: 1, seenOnA: 0, missing: 0 });
    // Seen on B only: delivered, but no latency without its stamp on A.
    expect(m.result().latenciesUs).toHaveLength(0);
  });

  it('keeps the latest stamp of the step on each bus (for the drain time), NaN before any', () => {
    const m = new SeqMatcher(ID, 3);
    expect(m.result().lastAUs).toBeNaN();
    feed(m, SIDE_A, 0, 10);
    feed(m, SIDE_A, 1, 30);
    feed(m, SIDE_B, 1, 900);
    feed(m, SIDE_B, 0, 400);
    expect(m.result()).toMatchObject({ lastAUs: 30, lastBUs: 900 });
  });

  it('sorts latencies ascending whatever the arrival order', () => {
    const m = new SeqMatcher(ID, 3);
    [0, 1, 2].forEach((i) => feed(m, SIDE_A, i, 0));
    feed(m, SIDE_B, 2, 7);
    feed(m, SIDE_B, 0, 300);
    feed(m, SIDE_B, 1, 12);
    expect([...m.result().latenciesUs]).toEqual([7, 12, 300]);
  });

  it('lists every frame with its time since the first on A and its latency, NaN where unseen', () => {
    const m = new SeqMatcher(ID, 3);
    feed(m, SIDE_A, 0, 5000);
    feed(m, SIDE_A, 1, 6500);
    feed(m, SIDE_B, 0, 5250);
    expect(m.perFrameLines()).toEqual([
      '# first on A at 5.000',
      '0 0.00 0.25',
      '1 1.50 NaN',
      '2 NaN NaN',
    ]);
  });
});
