/**
 * Kernel filters built from what to match in CanFrame terms, for the tests that set filters on a
 * CAN socket directly (the daemon's filters come from config text, src/can/can-filter.ts).
 */
import { CAN_EFF_FLAG, CAN_EFF_MASK, CAN_RTR_FLAG, CAN_SFF_MASK } from '../../src/can/linux-can.js';
import type { CanKernelFilter } from '../../src/socketcan/kernel-filter.js';

/** What to match, in CanFrame terms; `undefined` flags match either kind. */
export interface CanIdMatch {
  /** The plain identifier. */
  id: number;
  /** Bits of `id` that must match; defaults to all 11 or 29 bits. */
  mask?: number;
  /** true: 29-bit frames only; false: 11-bit only; undefined: both. */
  extended?: boolean;
  /** true: RTR frames only; false: data frames only; undefined: both. */
  remote?: boolean;
  inverted?: boolean;
}

/** An EFF/RTR-aware kernel filter for `match` (see linux/can.h on CAN_EFF_FLAG in filters). */
export function canIdFilter(match: CanIdMatch): CanKernelFilter {
  const idMask = match.extended === false ? CAN_SFF_MASK : CAN_EFF_MASK;
  let id = match.id & idMask;
  let mask = (match.mask ?? idMask) & idMask;
  if (match.extended !== undefined) {
    mask |= CAN_EFF_FLAG;
    if (match.extended) id |= CAN_EFF_FLAG;
  }
  if (match.remote !== undefined) {
    mask |= CAN_RTR_FLAG;
    if (match.remote) id |= CAN_RTR_FLAG;
  }
  return { id: id >>> 0, mask: mask >>> 0, inverted: match.inverted ?? false };
}
