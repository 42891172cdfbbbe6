/**
 * Kernel receive filters (linux/can.h `struct can_filter`, set with CAN_RAW_FILTER): a frame passes
 * when `received_can_id & can_mask == can_id & can_mask`; CAN_INV_FILTER in `can_id` inverts it.
 */
import { CAN_EFF_MASK, CAN_RAW_FILTER_MAX, CAN_SFF_MASK } from '../can/linux-can.js';
import { CAN_EFF_FLAG, CAN_INV_FILTER, CAN_RTR_FLAG } from '../can/linux-can.js';

/** One kernel filter, flags included; structurally the config's `CanIdFilter` fits. */
export interface CanKernelFilter {
  /** `can_id`, with CAN_EFF_FLAG / CAN_RTR_FLAG as wanted (never CAN_INV_FILTER: use `inverted`). */
  readonly id: number;
  /** `can_mask`. */
  readonly mask: number;
  readonly inverted?: boolean;
}

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

/** The (can_id, can_mask) pairs the addon passes to setsockopt(CAN_RAW_FILTER). */
export function kernelFilterArray(filters: readonly CanKernelFilter[]): Uint32Array {
  if (filters.length > CAN_RAW_FILTER_MAX) {
    throw new RangeError(`at most ${CAN_RAW_FILTER_MAX} CAN filters (linux/can/raw.h)`);
  }
  const out = new Uint32Array(filters.length * 2);
  filters.forEach((f, i) => {
    out[2 * i] = ((f.id & ~CAN_INV_FILTER) | (f.inverted === true ? CAN_INV_FILTER : 0)) >>> 0;
    out[2 * i + 1] = f.mask >>> 0;
  });
  return out;
}
