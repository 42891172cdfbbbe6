import { describe, expect, it } from 'vitest';
import {
  CanFilterSyntaxError,
  canFilterMatches,
  matchesCanFilters,
  parseCanFilter,
  parseCanFilters,
} from '../../../src/can/can-filter.js';
import { CAN_EFF_FLAG, CAN_RTR_FLAG, kernelCanId } from '../../../src/can/linux-can.js';
import { makeFrame } from '../../../src/frame.js';
import { kernelFilterArray } from '../../../src/socketcan/kernel-filter.js';

const EFF = CAN_EFF_FLAG;
const RTR = CAN_RTR_FLAG;

describe('parseCanFilter', () => {
  it.each([
    // text, id, mask, inverted, extended
    ['123:7ff', 0x123, 0x7ff, false, false],
    ['123:7FF', 0x123, 0x7ff, false, false],
    [' 400~700 ', 0x400, 0x700, true, false],
    ['0:0', 0, 0, false, false],
    ['0~0', 0, 0, true, false],
    ['123:c00007ff', 0x123, 0xc00007ff, false, false],
    // candump: an 8-digit id sets CAN_EFF_FLAG
    ['12345678:dfffffff', (0x12345678 | EFF) >>> 0, 0xdfffffff, false, true],
    ['00000123:1fffffff', (0x123 | EFF) >>> 0, 0x1fffffff, false, true],
    ['1fffffff~1fffffff', (0x1fffffff | EFF) >>> 0, 0x1fffffff, true, true],
    // ours: an id above 0x7ff is a 29-bit id even with fewer digits
    ['800:fff', (0x800 | EFF) >>> 0, 0xfff, false, true],
    ['1abcd:8001ffff', (0x1abcd | EFF) >>> 0, 0x8001ffff, false, true],
    ['7ff:7ff', 0x7ff, 0x7ff, false, false],
    // candump clears CAN_ERR_FLAG from the mask
    ['123:ffffffff', 0x123, 0xc00007ff, false, false],
    // af_can.c: an SFF-only mask is cut to 11 bits plus the EFF/RTR flags
    ['123:8000ffff', 0x123, 0x800007ff, false, false],
    // RTR flag in an 8-digit id
    ['40000123:ffffffff', (0x123 | RTR | EFF) >>> 0, 0xdfffffff, false, true],
  ])('parses %j', (text, id, mask, inverted, extended) => {
    expect(parseCanFilter(text)).toEqual({ id, mask, inverted, extended, text: text.trim() });
  });

  it.each([
    ['', 'no ":" or "~"'],
    ['123', 'no ":" or "~"'],
    ['123-7ff', 'no ":" or "~"'],
    ['12g:7ff', 'the id "12g" is not 1 to 8 hex digits'],
    ['123:7fg', 'the mask "7fg" is not 1 to 8 hex digits'],
    [':7ff', 'the id is missing'],
    ['123:', 'the mask is missing'],
    ['123456789:7ff', 'the id "123456789" is not 1 to 8 hex digits'],
    ['123:123456789', 'the mask "123456789" is not 1 to 8 hex digits'],
    ['0x123:7ff', '0x prefix'],
    ['123:7ff:1', 'the mask "7ff:1"'],
    ['-1:7ff', 'the id "-1"'],
    ['#000000ff', 'error-frame masks'],
    ['j', 'joined filters'],
    ['20000000:ffffffff', 'CAN_ERR_FLAG'],
  ])('rejects %j saying %j', (text, reason) => {
    let error: unknown;
    try {
      parseCanFilter(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CanFilterSyntaxError);
    const e = error as CanFilterSyntaxError;
    expect(e.code).toBe('ERR_CAN_FILTER');
    expect(e.reason).toContain(reason);
    expect(e.message).toContain(JSON.stringify(text.trim()));
    expect(e.message).toContain('expected "<id>:<mask>" or "<id>~<mask>"');
  });

  it('parses a list, and the first bad filter throws', () => {
    expect(parseCanFilters(['123:7ff', '400~700']).map((f) => f.text)).toEqual([
      '123:7ff',
      '400~700',
    ]);
    expect(() => parseCanFilters(['123:7ff', 'x'])).toThrow(/"x"/);
  });
});

describe('kernelCanId', () => {
  it.each([
    [{ arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: false }, 0x123],
    [{ arbitrationId: 0x123, isExtendedId: true, isRemoteFrame: false }, (0x123 | EFF) >>> 0],
    [{ arbitrationId: 0x123, isExtendedId: false, isRemoteFrame: true }, (0x123 | RTR) >>> 0],
    [{ arbitrationId: 0x1fffffff, isExtendedId: true, isRemoteFrame: true }, 0xdfffffff],
  ])('is the kernel can_id of %j', (frame, canId) => {
    expect(kernelCanId(makeFrame(frame))).toBe(canId);
  });
});

describe('matching', () => {
  const std = (id: number, rtr = false): number =>
    kernelCanId({
      arbitrationId: id,
      isExtendedId: false,
      isRemoteFrame: rtr,
      isErrorFrame: false,
    });
  const ext = (id: number, rtr = false): number =>
    kernelCanId({ arbitrationId: id, isExtendedId: true, isRemoteFrame: rtr, isErrorFrame: false });

  // The examples of `candump -h` and the af_can.c rules.
  it.each([
    ['123:7ff', std(0x123), true],
    ['123:7ff', std(0x124), false],
    ['123:7ff', ext(0x123), true], // "matches CAN ID 123 - including EFF and RTR frames"
    ['123:7ff', std(0x123, true), true],
    ['123:c00007ff', std(0x123), true], // "only SFF and non-RTR frames"
    ['123:c00007ff', ext(0x123), false],
    ['123:c00007ff', std(0x123, true), false],
    ['12345678:dfffffff', ext(0x12345678), true], // "match only for extended CAN ID 12345678"
    ['12345678:dfffffff', std(0x678), false],
    ['12345678:dfffffff', ext(0x12345679), false],
    ['400:700', std(0x4ff), true],
    ['400:700', std(0x500), false],
    ['400~700', std(0x500), true],
    ['400~700', std(0x4ff), false],
    ['0:0', ext(0x1fffffff), true],
    ['0~0', std(0), false],
    ['1abcd:9fffffff', ext(0x1abcd), true],
    ['1abcd:9fffffff', std(0x3cd), false],
    ['800:fff', ext(0x800), true],
  ])('%s on can_id %s: %s', (text, canId, expected) => {
    expect(canFilterMatches(parseCanFilter(text), canId)).toBe(expected);
  });

  it('passes everything with no filters and anything one filter passes', () => {
    const filters = parseCanFilters(['100:7ff', '200:7ff']);
    expect(matchesCanFilters([], std(0x555))).toBe(true);
    expect(matchesCanFilters(filters, std(0x100))).toBe(true);
    expect(matchesCanFilters(filters, std(0x200))).toBe(true);
    expect(matchesCanFilters(filters, std(0x300))).toBe(false);
  });
});

describe('a parsed filter as the kernel gets it (kernelFilterArray)', () => {
  it.each([
    ['123:7ff', 0x123, 0x7ff],
    ['400~700', 0x20000400, 0x700],
    ['12345678~1fffffff', 0xb2345678, 0x1fffffff],
  ])('%s becomes struct can_filter {%s, %s}', (text, canId, canMask) => {
    expect([...kernelFilterArray([parseCanFilter(text)])]).toEqual([canId, canMask]);
  });
});
