/**
 * The project's error type: every error carries a stable `code` from src/error-catalogue.ts to
 * classify it by (never by message text), the `cause` where there is one, and the system error's
 * `sysCode`/`errno`/`syscall` when a syscall failed underneath (from the addon, `dgram` or `fs`).
 */
import type { ErrorCode } from './error-catalogue.js';

export type { ErrorCode } from './error-catalogue.js';

/** Node-style system error fields, as thrown by `dgram`, `fs` and our native addon. */
export interface SystemErrorLike {
  code?: string;
  errno?: number;
  syscall?: string;
}

/** The system error fields of a cause: its own, or those a wrapped BridgeError carries on. */
function systemFields(cause: unknown): SystemErrorLike {
  if (cause instanceof BridgeError || cause instanceof BridgeRangeError) {
    return { code: cause.sysCode, errno: cause.errno, syscall: cause.syscall };
  }
  const sys = (typeof cause === 'object' && cause !== null ? cause : {}) as SystemErrorLike;
  return {
    code: typeof sys.code === 'string' ? sys.code : undefined,
    errno: typeof sys.errno === 'number' ? sys.errno : undefined,
    syscall: typeof sys.syscall === 'string' ? sys.syscall : undefined,
  };
}

export class BridgeError extends Error {
  readonly code: ErrorCode;
  /** The system error's code (e.g. 'EADDRINUSE'), when a syscall failed underneath. */
  readonly sysCode: string | undefined;
  /** The system error's errno (negative, as in Node), when a syscall failed underneath. */
  readonly errno: number | undefined;
  /** The failing syscall or socket operation (e.g. 'bind', 'addMembership'). */
  readonly syscall: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeError';
    this.code = code;
    const sys = systemFields(options?.cause);
    this.sysCode = sys.code;
    this.errno = sys.errno;
    this.syscall = sys.syscall;
  }
}

/**
 * A number out of range (code ERR_OUT_OF_RANGE): a RangeError, as Node's own ERR_OUT_OF_RANGE is,
 * so it cannot extend BridgeError; it has the same fields.
 */
export class BridgeRangeError extends RangeError {
  readonly code: ErrorCode = 'ERR_OUT_OF_RANGE';
  readonly sysCode: string | undefined = undefined;
  readonly errno: number | undefined = undefined;
  readonly syscall: string | undefined = undefined;

  constructor(message: string) {
    super(message);
    this.name = 'BridgeRangeError';
  }
}

/** `err` itself when it is an Error, else an ERR_NOT_AN_ERROR BridgeError with it as the cause. */
export function asError(err: unknown, message = String(err)): Error {
  return err instanceof Error ? err : new BridgeError('ERR_NOT_AN_ERROR', message, { cause: err });
}

/** The `code` of any thrown value, or undefined. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
