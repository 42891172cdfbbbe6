import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLogName } from '../../../src/cli/dump-output.js';
import { parseFrameString } from '../../../src/frame-string.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { runCliInProcess } from '../../support/cli-harness.js';
import type { CliRun } from '../../support/cli-harness.js';

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

/** Starts `dump -4 ARGS`, waits until it listens, feeds it the frames (text, channel). */
async function dumpOf(args: string[], frames: [string, string | null][], clock?: () => number) {
  const run = runCliInProcess(['dump', '-4', ...args], clock);
  await waitUntil(() => run.stderr().includes('listening'));
  feed(run, frames);
  return run;
}

function feed(run: CliRun, frames: [string, string | null][]): void {
  const rx = run.sockets[0];
  if (rx === undefined) throw new Error('no socket');
  for (const [text, channel] of frames) {
    rx.receive(encodeFrame({ ...parseFrameString(text, channel), timestamp: 5 }), {
      address: '10.0.0.2',
      port: 43113,
    });
  }
}

const MIXED: [string, string | null][] = [
  ['123#11', 'a'],
  ['124#22', 'b'],
  ['12345678#33', 'a'],
  ['20000004#0000000000000000', 'a'],
  ['123#44', null],
];

describe('dump filters and formats', () => {
  it('--filter passes what candump would and counts the rest at the end', async () => {
    const run = await dumpOf(['--filter', '123:7FF', '--timeout', '0.05'], MIXED);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe('(1700000000.500000) a 123#11\n(1700000000.500000) - 123#44\n');
    expect(run.stderr()).toContain('dump: 2 frames, 3 filtered out\n');
  });

  it('--sender keeps the frames of the listed senders, --count counts only those', async () => {
    const run = await dumpOf(['--sender', 'b,-', '--count', '2'], MIXED);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe('(1700000000.500000) b 124#22\n(1700000000.500000) - 123#44\n');
    expect(run.stderr()).toContain('dump: 2 frames, 3 filtered out\n');
  });

  it('--format human -t z prints candump columns with zero-based times', async () => {
    const times = [10.0, 10.25, 11.5];
    let i = 0;
    const clock = () => times[Math.min(i++, times.length - 1)] ?? 0;
    const run = runCliInProcess(['dump', '-4', '--format', 'human', '-t', 'z', '-n', '3'], clock);
    await waitUntil(() => run.stderr().includes('listening'));
    i = 0;
    feed(run, [
      ['123#DEADBEEF', 'vcan1'],
      ['12345678#00', 'vcan1'],
      ['7FF#R2', 'vcan1'],
    ]);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(
      [
        ' (000.000000)  vcan1  123   [4]  DE AD BE EF',
        ' (000.250000)  vcan1  12345678   [1]  00',
        ' (001.500000)  vcan1       7FF   [2]  remote request',
        '',
      ].join('\n'),
    );
  });

  it('--log FILE writes candump -l lines there, nothing to stdout, and counts them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cmb-dump-')), 'x.log');
    const run = await dumpOf(['--log', file, '-n', '2'], MIXED.slice(0, 2));
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(
      '(1700000000.500000) a 123#11\n(1700000000.500000) b 124#22\n',
    );
    expect(run.stderr()).toContain(`dump: logging to ${file}\n`);
    expect(run.stderr()).toContain('dump: 2 frames\n');
  });

  it('--log with no FILE (before another option) names the file as candump -l does, in the cwd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmb-dump-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      // 2023-11-14 22:13:20.5 UTC, in the local time zone as candump's localtime().
      const at = 1_700_000_000.5;
      const run = await dumpOf(['--log', '-n', '2'], MIXED.slice(0, 2), () => at);
      expect(await run.exit).toBe(0);
      const name = defaultLogName(at);
      expect(name).toMatch(/^candump-\d{4}-\d\d-\d\d_\d{6}\.log$/);
      expect(readdirSync(dir)).toEqual([name]);
      expect(readFileSync(join(dir, name), 'utf8')).toBe(
        '(1700000000.500000) a 123#11\n(1700000000.500000) b 124#22\n',
      );
      expect(run.stderr()).toContain(`dump: logging to ${name}\n`);
      expect(run.stderr()).toContain('dump: 2 frames\n');
    } finally {
      process.chdir(cwd);
    }
  });

  it('--stats prints frames/s per id and the bus load to stderr every interval', async () => {
    const run = await dumpOf(
      ['--stats', '0.2', '--bitrate', '125000', '-T', '0.3'],
      [
        ['123#0011223344556677', 'a'],
        ['123#0011223344556677', 'a'],
        ['1ABCDEF0#', 'a'],
      ],
    );
    expect(await run.exit).toBe(0);
    // 2 * 135 + 80 = 350 bits in 0.2 s: 1750 bit/s, 1% of 125000 (integer, as canbusload).
    expect(run.stderr()).toContain(
      'dump: stats over 0.2 s: 15.0 frames/s, 1750 bit/s, bus load 1% at 125000 bit/s (worst-case bit stuffing, as canbusload)\n       123  10.0/s\n  1ABCDEF0  5.0/s\n',
    );
    expect(run.stdout().split('\n')).toHaveLength(4);
  });

  it.each([
    [['--format', 'xml'], '--format must be log, human or json, got "xml"'],
    [['--json', '--format', 'human'], '--json and --format human exclude each other'],
    [['-t', 'q'], '--timestamp must be a, A, d or z (as candump -t), got "q"'],
    [['--filter', '12G:7FF'], '--filter: invalid CAN filter "12G:7FF"'],
    [['--bitrate', '500000'], '--bitrate is for --stats'],
    [['--stats', '--data-bitrate', '2000000'], '--data-bitrate needs --bitrate'],
    [['--stats', '0'], '--stats must be a number of seconds > 0'],
    [['--log', '/nonexistent/dir/x.log'], 'cannot write --log /nonexistent/dir/x.log: ENOENT'],
    [
      ['--log', 'x.log', '--format', 'human'],
      '--log writes the log format; it excludes --format human',
    ],
  ])('rejects %j with one line, exit 64', async (args, message) => {
    const run = runCliInProcess(['dump', '-4', ...args]);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toMatch(/^can-multicast-bridge dump: [^\n]+\n$/);
    expect(run.stderr()).toContain(message);
  });
});
