import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/errors.js';
import type { LogLevel } from '../../../src/config/formats.js';
import { createLogger } from '../../../src/log/create-logger.js';

/** A destination that keeps every JSON line pino writes. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level name, ISO time, pid and msg', () => {
    const { stream, lines } = capture();
    createLogger({ level: 'info', destination: stream }).info({ iface: 'vcan0' }, 'started');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', pid: process.pid, iface: 'vcan0', msg: 'started' });
    expect(typeof line?.time).toBe('string');
    expect(Number.isNaN(Date.parse(line?.time as string))).toBe(false);
  });

  it('child loggers carry the component field', () => {
    const { stream, lines } = capture();
    const root = createLogger({ level: 'info', destination: stream });
    root.child({ component: 'multicast' }).warn({ reason: 'truncated' }, 'datagram dropped');
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'multicast',
        reason: 'truncated',
        msg: 'datagram dropped',
      }),
    ]);
  });

  it.each<[LogLevel, string[]]>([
    ['trace', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']],
    ['debug', ['debug', 'info', 'warn', 'error', 'fatal']],
    ['info', ['info', 'warn', 'error', 'fatal']],
    ['warn', ['warn', 'error', 'fatal']],
    ['error', ['error', 'fatal']],
    ['fatal', ['fatal']],
    ['silent', []],
  ])('at level %s writes %j', (level, written) => {
    const { stream, lines } = capture();
    const logger = createLogger({ level, destination: stream });
    for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[l](l);
    expect(lines().map((line) => line.level)).toEqual(written);
  });

  it('serialises err with its stable code and cause', () => {
    const { stream, lines } = capture();
    const err = new BridgeError('ERR_CONFIG', 'bad', { cause: new Error('inner') });
    createLogger({ level: 'info', destination: stream }).error({ err }, 'config failed');
    const [line] = lines();
    const logged = line?.err as {
      type?: unknown;
      code?: unknown;
      message?: unknown;
      stack?: unknown;
    };
    expect(logged.type).toBe('BridgeError');
    expect(logged.code).toBe('ERR_CONFIG');
    expect(logged.message).toContain('bad');
    expect(typeof logged.stack).toBe('string');
  });
});

describe('createLogger for the journal', () => {
  it.each<[string, string]>([
    ['trace', '<7>'],
    ['debug', '<7>'],
    ['info', '<6>'],
    ['warn', '<4>'],
    ['error', '<3>'],
    ['fatal', '<2>'],
  ])('prefixes a %s line with the sd-daemon(3) priority %s', (level, prefix) => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({ level: 'trace', destination: stream, journal: true });
    logger[level as 'info']({ iface: 'vcan0' }, 'x');
    expect(chunks).toHaveLength(1);
    const [line] = chunks;
    expect(line?.startsWith(`${prefix}{`)).toBe(true);
    expect(line?.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line!.slice(prefix.length))).toMatchObject({ level, iface: 'vcan0' });
  });

  it('still honours the level and writes each line once', () => {
    const { stream, lines } = capture();
    const raw: string[] = [];
    const logger = createLogger({
      level: 'warn',
      journal: true,
      destination: { write: (s: string) => (raw.push(s), stream.write(s.replace(/^<\d>/, ''))) },
    });
    for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[l](l);
    expect(raw.map((s) => s.slice(0, 3))).toEqual(['<4>', '<3>', '<2>']);
    expect(lines().map((line) => line.level)).toEqual(['warn', 'error', 'fatal']);
  });
});
