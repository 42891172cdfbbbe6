/**
 * Kernel receive filters (linux/can.h `struct can_filter`, set with CAN_RAW_FILTER): a frame passes
 * when `received_can_id & can_mask == can_id & can_mask`; CAN_INV_FILTER in `can_id` inverts it.
 */
import { CAN_INV_FILTER, CAN_RAW_FILTER_MAX } from '../can/linux-can.js';
import { BridgeRangeError } from '../errors.js';

/** One kernel filter, flags included; structurally the config's `CanIdFilter` fits. */
export interface CanKernelFilter {
  /** `can_id`, with CAN_EFF_FLAG / CAN_RTR_FLAG as wanted (never CAN_INV_FILTER: use `inverted`). */
  readonly id: number;
  /** `can_mask`. */
  readonly mask: number;
  readonly inverted?: boolean;
}

/** The (can_id, can_mask) pairs the addon passes to setsockopt(CAN_RAW_FILTER). */
export function kernelFilterArray(filters: readonly CanKernelFilter[]): Uint32Array {
  if (filters.length > CAN_RAW_FILTER_MAX) {
    throw new BridgeRangeError(`at most ${CAN_RAW_FILTER_MAX} CAN filters (linux/can/raw.h)`);
  }
  const out = new Uint32Array(filters.length * 2);
  filters.forEach((f, i) => {
    out[2 * i] = ((f.id & ~CAN_INV_FILTER) | (f.inverted === true ? CAN_INV_FILTER : 0)) >>> 0;
    out[2 * i + 1] = f.mask >>> 0;
  });
  return out;
}
