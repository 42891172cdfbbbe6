import { BridgeError } from '../errors.js';

/** A bad command line: code ERR_USAGE, printed as one line, exit code 64 (EX_USAGE). */
export class UsageError extends BridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_USAGE', message, options);
    this.name = 'UsageError';
  }
}
