/**
 * Why `CanSocket.send()` refuses a frame before queueing it, if it does: python-can's rules
 * (`validateFrame`, less the timestamp, which CAN does not carry) and CAN FD on a classic socket.
 */
import { CANFD_MTU } from '../can/linux-can.js';
import { BridgeError } from '../errors.js';
import type { CanFrame } from '../frame.js';
import { validateFrame } from '../frame.js';
import type { CanTxDropReason } from './can-socket-like.js';

export interface CanTxRefusal {
  reason: CanTxDropReason;
  err: Error;
}

/** What a socket knows when it checks a frame. */
export interface CanTxCheckContext {
  interfaceName: string;
  /** Opened (FD capability known). */
  opened: boolean;
  fdCapable: boolean;
  /** The `fd` option. */
  fdOption: boolean;
  mtu: number;
}

/** The refusal for `frame`, or null when it may be queued. */
export function canTxRefusal(frame: CanFrame, ctx: CanTxCheckContext): CanTxRefusal | null {
  const fault = validateFrame(frame);
  // The timestamp is not sent on CAN; every other python-can rule applies.
  if (fault !== null && fault !== 'timestamp_invalid') {
    return {
      reason: 'invalid',
      err: new BridgeError('ERR_INVALID_FRAME', `invalid CAN frame: ${fault}`),
    };
  }
  if (frame.isFd && !ctx.fdCapable && ctx.opened) {
    const why = ctx.fdOption
      ? `interface MTU is ${ctx.mtu}, not ${CANFD_MTU}: classic CAN only`
      : 'the socket was opened without the fd option';
    return {
      reason: 'fd_unsupported',
      err: new BridgeError(
        'ERR_CAN_FD_UNSUPPORTED',
        `cannot send a CAN FD frame on ${ctx.interfaceName}: ${why}`,
      ),
    };
  }
  return null;
}
