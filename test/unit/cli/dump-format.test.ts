import { describe, expect, it } from 'vitest';
import { frameBits, frameDataPhaseBits, BusLoadCounter } from '../../../src/cli/bus-load.js';
import {
  dumpFilterPasses,
  parseDumpFilter,
  parseSenders,
  senderPasses,
} from '../../../src/cli/dump-filter.js';
import { defaultLogName, DumpFormatter } from '../../../src/cli/dump-output.js';
import { DumpTimestamp } from '../../../src/cli/dump-timestamp.js';
import { formatLongFrame } from '../../../src/cli/format-dump-line.js';
import { parseFrameString } from '../../../src/frame-string.js';

const f = (text: string, channel: string | null = 'vcan1') => parseFrameString(text, channel);

describe('formatLongFrame (candump 2020.11 lib.c sprint_long_canframe)', () => {
  it.each([
    ['123#DEADBEEF', false, '123   [4]  DE AD BE EF'],
    ['123#', false, '123   [0] '],
    ['123#DEADBEEF', true, '     123   [4]  DE AD BE EF'],
    ['12345678#001122', false, '12345678   [3]  00 11 22'],
    ['7FF#R4', false, '7FF   [4]  remote request'],
    ['7FF#R', true, '     7FF   [0]  remote request'],
    ['123##1' + '00'.repeat(12), false, '123  [12] ' + ' 00'.repeat(12)],
    ['1ABCDEF0##0AABB', false, '1ABCDEF0  [02]  AA BB'],
    ['123##0', true, '     123  [00] '],
    ['20000004#0000000000000000', false, '20000004   [8] ' + ' 00'.repeat(8) + '   ERRORFRAME'],
    ['20000004#0000', false, '20000004   [2]  00 00' + ' '.repeat(21) + 'ERRORFRAME'],
  ])('%s (indent %s) is "%s"', (text, indent, line) => {
    expect(formatLongFrame(f(text), indent)).toBe(line);
  });
});

describe('DumpFormatter', () => {
  it('human: candump columns, 11-bit ids indented once a 29-bit frame was seen', () => {
    const fmt = new DumpFormatter('human', null);
    expect(fmt.line(f('123#DEADBEEF'))).toBe('  vcan1  123   [4]  DE AD BE EF');
    expect(fmt.line(f('12345678#00'))).toBe('  vcan1  12345678   [1]  00');
    expect(fmt.line(f('123#01'))).toBe('  vcan1       123   [1]  01');
    // The interface column grows to the widest channel seen, right-aligned (candump %*s).
    expect(fmt.line(f('123#01', 'bridge-a'))).toBe('  bridge-a       123   [1]  01');
    expect(fmt.line(f('123#01', null))).toBe('         -       123   [1]  01');
  });

  it('human with -t a: candump puts the time between its two leading spaces', () => {
    const fmt = new DumpFormatter('human', 'a');
    expect(fmt.line({ ...f('123#DEADBEEF'), timestamp: 1700000000.1234567 })).toBe(
      ' (1700000000.123457)  vcan1  123   [4]  DE AD BE EF',
    );
  });

  it('log: a (default) or z, as candump -L -t', () => {
    const frame = { ...f('123#01'), timestamp: 1700000000.25 };
    expect(new DumpFormatter('log', null).line(frame)).toBe('(1700000000.250000) vcan1 123#01');
    expect(new DumpFormatter('log', 'd').line(frame)).toBe('(1700000000.250000) vcan1 123#01');
    const z = new DumpFormatter('log', 'z');
    expect(z.line(frame)).toBe('(000.000000) vcan1 123#01');
    expect(z.line({ ...frame, timestamp: 1700000001.5 })).toBe('(001.250000) vcan1 123#01');
  });

  it('names a log file as candump -l does (local time)', () => {
    const at = new Date(2023, 10, 4, 9, 8, 7).getTime() / 1000;
    expect(defaultLogName(at)).toBe('candump-2023-11-04_090807.log');
  });
});

describe('DumpTimestamp (candump.c sprint_timestamp)', () => {
  const times = [1700000000.1, 1700000000.35, 1700000002.35, 1700000001.0];
  it.each([
    [
      'a',
      [
        '(1700000000.100000) ',
        '(1700000000.350000) ',
        '(1700000002.350000) ',
        '(1700000001.000000) ',
      ],
    ],
    ['d', ['(000.000000) ', '(000.250000) ', '(002.000000) ', '(000.000000) ']],
    ['z', ['(000.000000) ', '(000.250000) ', '(002.250000) ', '(000.900000) ']],
  ] as const)('-t %s', (mode, expected) => {
    const ts = new DumpTimestamp(mode);
    expect(times.map((t) => ts.format(t))).toEqual(expected);
  });

  it('-t A: local date and time', () => {
    const at = new Date(2023, 10, 4, 9, 8, 7).getTime() / 1000 + 0.5;
    expect(new DumpTimestamp('A').format(at)).toBe('(2023-11-04 09:08:07.500000) ');
  });
});

describe('dump filters (candump syntax, kernel CAN_RAW semantics)', () => {
  const frames = [
    '123#00',
    '124#00',
    '00000123#00', // 29-bit id 0x123: passes 123:7FF (no CAN_EFF_FLAG in the mask), as in candump
    '12345678#00',
    '7FF#R',
    '20000004#0000000000000000', // error class CAN_ERR_CRTL
    '20000040#0000000000000000', // error class CAN_ERR_BUSOFF
  ];
  const passing = (spec: string) =>
    frames.filter((t) => dumpFilterPasses(parseDumpFilter([spec]), f(t)));

  it.each([
    ['123:7FF', ['123#00', '00000123#00']],
    ['123:C00007FF', ['123#00']],
    ['12345678:1FFFFFFF', ['12345678#00']],
    ['123~7FF', ['124#00', '12345678#00', '7FF#R']],
    ['123:7FF,124:7FF', ['123#00', '124#00', '00000123#00']],
    ['100:700,#4', ['123#00', '124#00', '00000123#00', '20000004#0000000000000000']],
    ['#FFFFFFFF', ['20000004#0000000000000000', '20000040#0000000000000000']],
    ['120:7F0,003:00F,j', ['123#00', '00000123#00']],
    // With join and two id filters, an error frame matches one registration of three: dropped.
    ['120:7F0,003:00F,j,#FFFFFFFF', ['123#00', '00000123#00']],
    [
      '123:7FF,j,#FFFFFFFF',
      ['123#00', '00000123#00', '20000004#0000000000000000', '20000040#0000000000000000'],
    ],
    ['j', []],
  ])('--filter %s passes %j', (spec, expected) => {
    expect(passing(spec)).toEqual(expected);
  });

  it.each([
    ['12G:7FF', 'invalid CAN filter "12G:7FF"'],
    ['#XYZ', 'error mask "#XYZ" must be # and 1 to 8 hex digits'],
    ['123', 'there is no ":" or "~"'],
  ])('rejects --filter %s', (spec, message) => {
    expect(() => parseDumpFilter([spec])).toThrow(message);
  });

  it('--sender passes the listed channels; - is a frame without one', () => {
    const senders = parseSenders(['a,b', '-']);
    expect(['a', 'b', 'c', null].map((c) => senderPasses(senders, f('123#00', c)))).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(() => parseSenders(['a,'])).toThrow('got an empty ID');
  });
});

describe('bus load (canbusload worst case, canframelen.c)', () => {
  it.each([
    ['123#', 55, 0],
    ['123#0011223344556677', 135, 0],
    ['12345678#0011223344556677', 160, 0],
    ['123#R8', 135, 0],
    // FD: (1 + 11 + 17 + 5 + 12 + 8 * 8) * 5 / 4 = 137; BRS data phase (1 + 1 + 4 + 17 + 64) * 5 / 4 = 108
    ['123##1' + '00'.repeat(8), 137, 108],
    ['123##0' + '00'.repeat(8), 137, 0],
    // 64 bytes, 29-bit: (1 + 29 + 21 + 5 + 12 + 512) * 5 / 4 = 725; (1 + 1 + 4 + 21 + 512) * 5 / 4 = 673
    ['12345678##1' + '00'.repeat(64), 725, 673],
  ])('%s: %d bits, %d at the data rate', (text, bits, dataBits) => {
    expect(frameBits(f(text))).toBe(bits);
    expect(frameDataPhaseBits(f(text))).toBe(dataBits);
  });

  it('reports frames/s per id and the load as canbusload computes it, then resets', () => {
    const counter = new BusLoadCounter();
    for (let i = 0; i < 1000; i++) counter.add(f('123#0011223344556677'));
    for (let i = 0; i < 100; i++) counter.add(f('12345678##1' + '00'.repeat(64)));
    // 1000 * 135 + 100 * 725 = 207500 bit/s; (207500 - 67300) * 100 / 500000 = 28 (integer),
    // + 67300 * 100 / 2000000 = 3 (integer): 31%.
    expect(counter.report(1, { bitrate: 500000, dataBitrate: 2000000 })).toEqual([
      'dump: stats over 1 s: 1100.0 frames/s, 207500 bit/s, bus load 31% at 500000/2000000 bit/s (worst-case bit stuffing, as canbusload)',
      '       123  1000.0/s',
      '  12345678  100.0/s',
    ]);
    expect(counter.report(2, null)).toEqual(['dump: stats over 2 s: 0.0 frames/s']);
  });
});
