/**
 * What `CanSocket.write()` rejects with when its frame will not be sent: one code,
 * ERR_CAN_TX_DROPPED, the drop reason (as the 'drop' event and the `txDropped` counters name it)
 * and, where the drop had one, the error behind it as `cause` (ERR_INVALID_FRAME,
 * ERR_CAN_FD_UNSUPPORTED, the kernel's EINVAL for 'rejected').
 */
import { BridgeError } from '../errors.js';
import type { CanTxDropReason } from './can-socket-like.js';

export class CanTxDropError extends BridgeError {
  constructor(
    /** Why the frame was dropped. */
    readonly reason: CanTxDropReason,
    interfaceName: string,
    cause?: Error,
  ) {
    const why = cause === undefined ? reason : `${reason}: ${cause.message}`;
    super('ERR_CAN_TX_DROPPED', `CAN frame not sent on ${interfaceName} (${why})`, { cause });
    this.name = 'CanTxDropError';
  }
}
