/** Errors of the multicast endpoint: a stable `code`, and the system error's `errno`/`syscall`. */
import { BridgeError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** The codes a `MulticastBus` throws with (src/error-catalogue.ts). */
export type MulticastErrorCode = Extract<
  ErrorCode,
  | 'ERR_INVALID_GROUP'
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNKNOWN_INTERFACE'
  | 'ERR_MULTICAST_SOCKET'
  | 'ERR_MULTICAST_BIND'
  | 'ERR_MULTICAST_JOIN'
  | 'ERR_MULTICAST_SEND'
  | 'ERR_BUS_NOT_STARTED'
  | 'ERR_BUS_CLOSED'
>;

/** A BridgeError whose message ends with the cause's code (": EADDRINUSE") when it has one. */
export class MulticastError extends BridgeError {
  constructor(code: MulticastErrorCode, message: string, cause?: unknown) {
    const causeCode =
      typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    const detail = typeof causeCode === 'string' ? `: ${causeCode}` : '';
    super(code, `${message}${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'MulticastError';
  }
}
