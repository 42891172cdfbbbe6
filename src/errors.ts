/**
 * The project's error type: every error carries a stable `code` to classify it by (never by message
 * text) and, where there is one, the `cause`.
 */
export class BridgeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeError';
    this.code = code;
  }
}

/** Node-style system error fields, as thrown by `dgram`, `fs` and our native addon. */
export interface SystemErrorLike {
  code?: string;
  errno?: number;
  syscall?: string;
}

/** The `code` of any thrown value, or undefined. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
