import { describe, expect, it } from 'vitest';
import { watchdogTimeoutMs } from '../../../src/systemd/notify.js';

describe('watchdogTimeoutMs', () => {
  it.each([
    [{}, null],
    [{ WATCHDOG_USEC: '20000000' }, 20_000],
    [{ WATCHDOG_USEC: '1500' }, 1.5],
    [{ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '77' }, 20_000],
    [{ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '78' }, null], // meant for another process
    [{ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '' }, 20_000],
    [{ WATCHDOG_USEC: '0' }, null],
    [{ WATCHDOG_USEC: '-5' }, null],
    [{ WATCHDOG_USEC: '20s' }, null],
    [{ WATCHDOG_USEC: '' }, null],
  ])('reads %j as %s ms (sd_watchdog_enabled(3))', (env, expected) => {
    expect(watchdogTimeoutMs(env, 77)).toBe(expected);
  });
});
