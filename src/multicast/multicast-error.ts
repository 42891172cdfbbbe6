/** Errors of the multicast endpoint: a stable `code`, and the system error's `errno`/`syscall`. */
import { BridgeError } from '../errors.js';
import type { SystemErrorLike } from '../errors.js';

/** The codes a `MulticastBus` throws with. */
export type MulticastErrorCode =
  | 'ERR_INVALID_GROUP'
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNKNOWN_INTERFACE'
  | 'ERR_MULTICAST_SOCKET'
  | 'ERR_MULTICAST_BIND'
  | 'ERR_MULTICAST_JOIN'
  | 'ERR_MULTICAST_SEND'
  | 'ERR_BUS_NOT_STARTED'
  | 'ERR_BUS_CLOSED';

export class MulticastError extends BridgeError {
  /** The system error's code (e.g. 'EADDRINUSE'), when a syscall failed. */
  readonly sysCode: string | undefined;
  /** The system error's errno (negative, as in Node), when a syscall failed. */
  readonly errno: number | undefined;
  /** The failing syscall or socket operation (e.g. 'bind', 'addMembership'). */
  readonly syscall: string | undefined;

  constructor(code: MulticastErrorCode, message: string, cause?: unknown) {
    const sys = (typeof cause === 'object' && cause !== null ? cause : {}) as SystemErrorLike;
    const detail = typeof sys.code === 'string' ? `: ${sys.code}` : '';
    super(code, `${message}${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'MulticastError';
    this.sysCode = sys.code;
    this.errno = sys.errno;
    this.syscall = sys.syscall;
  }
}
