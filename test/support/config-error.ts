/** Test helper: runs `fn`, which must throw a ConfigError (code ERR_CONFIG), and returns it. */
import { expect } from 'vitest';
import type { ConfigError } from '../../src/config/load-config.js';
import { errorCode } from '../../src/errors.js';

export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(errorCode(err)).toBe('ERR_CONFIG');
    return err as ConfigError;
  }
  throw new Error('expected ERR_CONFIG, nothing was thrown');
}
