/**
 * CAN id filters written as candump writes them (can-utils candump.c, "Filters" in `candump -h`):
 * `<can_id>:<can_mask>` matches when `received_can_id & mask == can_id & mask`, `<can_id>~<can_mask>`
 * is the inverse. Pure parsing and matching; the same filters become kernel `struct can_filter`s on
 * the CAN side and are matched here for frames that arrive from the network.
 */
import {
  CAN_EFF_FLAG,
  CAN_EFF_MASK,
  CAN_ERR_FLAG,
  CAN_RTR_FLAG,
  CAN_SFF_MASK,
} from './linux-can.js';
import { BridgeError } from '../errors.js';

/** One parsed filter. `id` and `mask` are `struct can_filter` values (linux/can.h), flags included. */
export interface CanIdFilter {
  /** `can_id`: the identifier plus `CAN_EFF_FLAG` / `CAN_RTR_FLAG` when given; never `CAN_INV_FILTER`. */
  readonly id: number;
  /** `can_mask`, normalised as the kernel does (net/can/af_can.c `can_rcv_list_find`). */
  readonly mask: number;
  /** Written with `~`: matches the frames the plain filter would not. */
  readonly inverted: boolean;
  /** The filter's id carries `CAN_EFF_FLAG`: with the flag in the mask it only matches 29-bit frames. */
  readonly extended: boolean;
  /** The filter as written (trimmed), for messages and `check-config`. */
  readonly text: string;
}

/** Thrown by `parseCanFilter` (code ERR_CAN_FILTER); `message` says what is wrong and what is expected. */
export class CanFilterSyntaxError extends BridgeError {
  constructor(
    readonly text: string,
    /** What is wrong, without the filter text. */
    readonly reason: string,
  ) {
    super(
      'ERR_CAN_FILTER',
      `invalid CAN filter ${JSON.stringify(text)}: ${reason}; expected ${CAN_FILTER_SYNTAX}`,
    );
    this.name = 'CanFilterSyntaxError';
  }
}

/** What a filter looks like, for error messages. */
export const CAN_FILTER_SYNTAX =
  '"<id>:<mask>" or "<id>~<mask>" (inverted) as candump writes them, 1 to 8 hex digits each, e.g. "123:7ff" or "12345678:1fffffff"';

const HEX = /^[0-9a-fA-F]{1,8}$/;

/**
 * Parses one candump filter. As in candump, an id written with 8 hex digits gets `CAN_EFF_FLAG`;
 * beyond candump, so does any id above 0x7ff (no 11-bit frame can carry it, and without the flag
 * the kernel would cut such a mask down to 11 bits). `CAN_ERR_FLAG` is cleared from the mask, as
 * candump does: error frames are switched by the `errorFrames` keys, not by id filters.
 */
export function parseCanFilter(input: string): CanIdFilter {
  const text = input.trim();
  if (text.startsWith('#')) {
    throw new CanFilterSyntaxError(
      text,
      'error-frame masks ("#<mask>") are not supported here; use the errorFrames switch of the direction',
    );
  }
  if (text === 'j' || text === 'J') {
    throw new CanFilterSyntaxError(
      text,
      'joined filters ("j") are not supported; a frame passes when any filter matches',
    );
  }
  const sep = text.search(/[:~]/);
  if (sep < 0) throw new CanFilterSyntaxError(text, 'there is no ":" or "~" between id and mask');
  const idText = text.slice(0, sep);
  const maskText = text.slice(sep + 1);
  for (const [what, part] of [
    ['id', idText],
    ['mask', maskText],
  ] as const) {
    if (!HEX.test(part)) {
      const why =
        part === ''
          ? `the ${what} is missing`
          : /^0x/i.test(part)
            ? `the ${what} ${JSON.stringify(part)} has a 0x prefix (candump writes plain hex)`
            : `the ${what} ${JSON.stringify(part)} is not 1 to 8 hex digits`;
      throw new CanFilterSyntaxError(text, why);
    }
  }
  let id = Number.parseInt(idText, 16) >>> 0;
  let mask = Number.parseInt(maskText, 16) >>> 0;
  if ((id & CAN_ERR_FLAG) !== 0) {
    throw new CanFilterSyntaxError(
      text,
      'the id has CAN_ERR_FLAG (0x20000000) set; error frames are switched by errorFrames, not by id filters',
    );
  }
  // candump.c: "When the can_id is 8 digits long the CAN_EFF_FLAG is set".
  if (idText.length === 8 || (id & CAN_EFF_MASK) > CAN_SFF_MASK) id = (id | CAN_EFF_FLAG) >>> 0;
  // candump.c: `rfilter[numfilter].can_mask &= ~CAN_ERR_FLAG;`
  mask = (mask & ~CAN_ERR_FLAG) >>> 0;
  // net/can/af_can.c can_rcv_list_find: "ensure valid values in can_mask for 'SFF only' frame filtering".
  if ((mask & CAN_EFF_FLAG) !== 0 && (id & CAN_EFF_FLAG) === 0) {
    mask = (mask & (CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG)) >>> 0;
  }
  return { id, mask, inverted: text[sep] === '~', extended: (id & CAN_EFF_FLAG) !== 0, text };
}

/** Parses a list of filters; the first bad one throws `CanFilterSyntaxError`. */
export function parseCanFilters(texts: readonly string[]): CanIdFilter[] {
  return texts.map(parseCanFilter);
}

/** Whether one filter passes a frame's kernel `can_id` (net/can/af_can.c `can_rcv_filter`). */
export function canFilterMatches(filter: CanIdFilter, canId: number): boolean {
  const equal = (canId & filter.mask) >>> 0 === (filter.id & filter.mask) >>> 0;
  return equal !== filter.inverted;
}

/**
 * Whether a data frame passes a filter list: no filters pass everything (the kernel's default
 * "0:0"), otherwise any one matching filter passes it, as with `CAN_RAW_FILTER`. Error frames are
 * not subject to id filters.
 */
export function matchesCanFilters(filters: readonly CanIdFilter[], canId: number): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) => canFilterMatches(f, canId));
}
