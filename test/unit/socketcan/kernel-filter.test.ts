import { describe, expect, it } from 'vitest';
import { CAN_RAW_FILTER_MAX } from '../../../src/can/linux-can.js';
import { kernelFilterArray } from '../../../src/socketcan/kernel-filter.js';
import { canIdFilter } from '../../support/can-id-filter.js';

/** net/can/af_can.c: a filter matches when (can_id & mask) == (filter.can_id & mask). */
function matches(filter: { id: number; mask: number }, canId: number): boolean {
  return (canId & filter.mask) >>> 0 === (filter.id & filter.mask) >>> 0;
}

describe('canIdFilter', () => {
  it.each([
    // [match, received can_id words, expected]
    [{ id: 0x123, extended: false }, 0x123, true],
    [{ id: 0x123, extended: false }, 0x80000123, false],
    [{ id: 0x123, extended: true }, 0x80000123, true],
    [{ id: 0x123, extended: true }, 0x123, false],
    [{ id: 0x123 }, 0x123, true],
    [{ id: 0x123 }, 0x80000123, true],
    [{ id: 0x123, extended: false, remote: false }, 0x40000123, false],
    [{ id: 0x123, extended: false, remote: true }, 0x40000123, true],
    [{ id: 0x120, mask: 0x7f0, extended: false }, 0x12f, true],
    [{ id: 0x120, mask: 0x7f0, extended: false }, 0x130, false],
  ] as const)('%o matches can_id %i: %s', (match, canId, expected) => {
    expect(matches(canIdFilter(match), canId)).toBe(expected);
  });

  it('sets CAN_INV_FILTER in can_id for inverted filters', () => {
    const arr = kernelFilterArray([canIdFilter({ id: 0x10, extended: false, inverted: true })]);
    expect(arr[0]).toBe((0x20000000 | 0x10) >>> 0);
    expect(arr[1]).toBe((0x80000000 | 0x7ff) >>> 0);
  });

  it('accepts the config module filters (id, mask, inverted) as they are', () => {
    expect([...kernelFilterArray([{ id: 0x80000123, mask: 0x9fffffff, inverted: false }])]).toEqual(
      [0x80000123, 0x9fffffff],
    );
  });

  it('refuses more filters than the kernel takes', () => {
    const many = Array.from({ length: CAN_RAW_FILTER_MAX + 1 }, () => ({ id: 1, mask: 1 }));
    expect(() => kernelFilterArray(many)).toThrow(RangeError);
  });
});
