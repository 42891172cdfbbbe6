/**
 * `dump --filter` in candump's syntax (candump(1) "<can_id>:<can_mask>", "<can_id>~<can_mask>",
 * "#<error_mask>", "j"), matched as the kernel matches a CAN_RAW socket's filters (net/can/raw.c),
 * and `--sender` on python-can's `channel` field.
 */
import type { CanIdFilter } from '../can/can-filter.js';
import { canFilterMatches, parseCanFilter } from '../can/can-filter.js';
import { CAN_ERR_MASK, kernelCanId } from '../can/linux-can.js';
import type { CanFrame } from '../frame.js';
import { UsageError } from './usage-error.js';

export interface DumpFilter {
  /** The id filters; with `--filter` given and none of them, no data frame passes (as candump). */
  readonly ids: readonly CanIdFilter[];
  /** Error classes that pass (`#mask`, CAN_RAW_ERR_FILTER); 0: no error frame passes. */
  readonly errorMask: number;
  /** `j`: a frame must match every id filter (CAN_RAW_JOIN_FILTERS), not any one. */
  readonly join: boolean;
}

/**
 * Parses `--filter` values (each a comma list, as after candump's `<ifname>,`). Throws a
 * UsageError naming the bad part.
 */
export function parseDumpFilter(specs: readonly string[]): DumpFilter {
  const ids: CanIdFilter[] = [];
  let errorMask = 0;
  let join = false;
  for (const part of specs.flatMap((s) => s.split(','))) {
    const text = part.trim();
    if (text === 'j' || text === 'J') join = true;
    else if (text.startsWith('#')) {
      if (!/^#[0-9a-fA-F]{1,8}$/.test(text))
        throw new UsageError(
          `--filter: error mask "${text}" must be # and 1 to 8 hex digits, e.g. #FFFFFFFF`,
        );
      errorMask = (errorMask | Number.parseInt(text.slice(1), 16)) >>> 0;
    } else {
      try {
        ids.push(parseCanFilter(text));
      } catch (err) {
        throw new UsageError(
          `--filter: ${(err as Error).message}, or "#<error mask>", or "j" (all must match)`,
          { cause: err },
        );
      }
    }
  }
  return { ids, errorMask: (errorMask & CAN_ERR_MASK) >>> 0, join };
}

/** Whether `frame` passes, as a CAN_RAW socket with these filters would deliver it. */
export function dumpFilterPasses(filter: DumpFilter, frame: CanFrame): boolean {
  if (frame.isErrorFrame) {
    // net/can/af_can.c can_rcv_filter: an error frame matches only the error filter
    // (`can_id & mask`, the class bits). raw.c raw_rcv with join: delivered once every one of the
    // socket's `count` filters matched, which an error frame (one match) does only with count <= 1.
    if ((frame.arbitrationId & filter.errorMask) === 0) return false;
    return !filter.join || filter.ids.length <= 1;
  }
  const canId = kernelCanId(frame);
  return filter.join
    ? filter.ids.length > 0 && filter.ids.every((f) => canFilterMatches(f, canId))
    : filter.ids.some((f) => canFilterMatches(f, canId));
}

/** `--sender a,b`: the channels (python-can `channel`, as text) that pass. */
export function parseSenders(specs: readonly string[]): ReadonlySet<string> {
  const names = specs.flatMap((s) => s.split(',')).map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw new UsageError('--sender takes ID[,ID...], e.g. --sender a,b; got an empty ID');
  return new Set(names);
}

/** Whether a frame's sender (`channel`) is one of `senders`; `-` names frames without one. */
export function senderPasses(senders: ReadonlySet<string>, frame: CanFrame): boolean {
  return senders.has(frame.channel === null ? '-' : String(frame.channel));
}
