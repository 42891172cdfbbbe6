import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/create-logger.js';
import { RateLimitedLog } from '../../../src/log/rate-limited-log.js';

function setup(intervalMs = 1000, maxKeys?: number) {
  let nowMs = 0;
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  const limited = new RateLimitedLog(logger.child({ component: 'test' }), {
    intervalMs,
    now: () => nowMs,
    maxKeys,
  });
  return {
    limited,
    advance: (ms: number) => (nowMs += ms),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('RateLimitedLog', () => {
  it('logs the first occurrence of a key at once, without a suppressed field', () => {
    const { limited, lines } = setup();
    expect(limited.warn('bad-datagram', { reason: 'truncated' }, 'datagram dropped')).toBe(true);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'test',
        reason: 'truncated',
        msg: 'datagram dropped',
      }),
    ]);
    expect(lines()[0]).not.toHaveProperty('suppressed');
  });

  // time of each call (ms), whether it is logged, suppressed count reported with it
  it.each<[string, [number, boolean, number | undefined][]]>([
    [
      'a burst within the interval',
      [
        [0, true, undefined],
        [10, false, undefined],
        [999, false, undefined],
        [1000, true, 2],
      ],
    ],
    [
      'calls spaced by the interval',
      [
        [0, true, undefined],
        [1000, true, undefined],
        [2000, true, undefined],
      ],
    ],
    [
      'a pause after suppression',
      [
        [0, true, undefined],
        [500, false, undefined],
        [5000, true, 1],
        [5001, false, undefined],
        [6001, true, 1],
      ],
    ],
  ])('%s', (_what, calls) => {
    const { limited, advance, lines } = setup(1000);
    let now = 0;
    const expected: (number | undefined)[] = [];
    for (const [at, logged, suppressed] of calls) {
      advance(at - now);
      now = at;
      expect(limited.warn('k', { n: at }, 'queue full')).toBe(logged);
      if (logged) expected.push(suppressed);
    }
    expect(lines().map((l) => l.suppressed)).toEqual(expected);
  });

  it('limits each key on its own', () => {
    const { limited, lines } = setup();
    expect(limited.warn('a', {}, 'a happened')).toBe(true);
    expect(limited.warn('b', {}, 'b happened')).toBe(true);
    expect(limited.warn('a', {}, 'a happened')).toBe(false);
    expect(lines().map((l) => l.msg)).toEqual(['a happened', 'b happened']);
  });

  it('logs at the level asked for', () => {
    const { limited, lines } = setup();
    limited.log('error', 'x', {}, 'send failed');
    limited.log('debug', 'y', {}, 'frame dropped');
    expect(lines().map((l) => l.level)).toEqual(['error', 'debug']);
  });

  it('flush reports held-back counts once and resets them', () => {
    const { limited, lines } = setup();
    limited.warn('a', {}, 'a happened');
    limited.warn('a', {}, 'a happened');
    limited.warn('a', {}, 'a happened');
    limited.warn('b', {}, 'b happened');
    limited.flush();
    limited.flush();
    expect(lines().slice(2)).toEqual([
      expect.objectContaining({ level: 'warn', key: 'a', suppressed: 2, msg: 'a happened' }),
    ]);
  });

  it('remembers at most maxKeys keys, forgetting the least recently logged', () => {
    const { limited } = setup(1000, 2);
    limited.warn('a', {}, 'm');
    limited.warn('b', {}, 'm');
    limited.warn('c', {}, 'm'); // forgets a
    expect(limited.warn('b', {}, 'm')).toBe(false);
    expect(limited.warn('a', {}, 'm')).toBe(true); // a was forgotten, so it logs again
  });
});
