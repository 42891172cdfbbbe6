// `dump` against candump, and `send --replay` against a candump log, on a real kernel (issue 12).
// The same frames reach both: `send` puts them on a group, a bridge writes them to vcan1, where
// candump (can-utils, Debian's 2020.11) prints them, while `dump` prints them from the group.
// Run it: node scripts/test-can.mjs test/can/cli-candump.test.ts
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCandumpLine, skipReason } from './can-helpers.js';
import { BIN, daemonEnv } from './daemon-helpers.js';
import { until as pollUntil } from '../support/until.js';

const skip = skipReason() !== null;
const GROUP = '239.74.163.9';
const PORT = '43199';
const NET = ['--group', GROUP, '--port', PORT];

/** Every kind of frame once; error frames reach vcan1 because the bridge relays them. */
const FRAMES = [
  '123#DEADBEEF',
  '124#01',
  '00000123#02',
  '12345678#0011',
  '7FF#R4',
  '123#',
  '123##1' + '00112233445566778899AABB',
  '1ABCDEF0##0AABB',
  '20000004#0000000000000000',
  '456#0102030405060708',
];

/** A child whose stdout is collected. */
function collect(cmd: string, args: string[]) {
  const child = spawn(cmd, args, { env: daemonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', child, closed: false };
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out.stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out.stderr += s));
  child.once('close', () => (out.closed = true));
  return out;
}
type Collected = ReturnType<typeof collect>;

/** until() with the VM's patience: up to 90 s by default, looking every 100 ms. */
const until = (cond: () => boolean, what: string, timeoutMs = 90_000, detail?: () => string) =>
  pollUntil(cond, what, timeoutMs, { pollMs: 100, detail });

async function stop(c: Collected): Promise<void> {
  if (!c.closed) c.child.kill('SIGINT');
  await until(() => c.closed, 'a child to exit', 30_000);
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
/** candump -L and dump log lines without the time, FD flags as BRS/ESI only (the kernel adds FDF). */
const logTexts = (text: string) =>
  lines(text).map((l) => {
    const p = parseCandumpLine(l);
    return p === null ? l : `${p.iface} ${p.text}`;
  });
/** Human lines with the timestamp column masked. */
const maskTime = (text: string) => lines(text).map((l) => l.replace(/^ \([^)]*\) /, ' (T) '));
const times = (text: string) =>
  lines(text).map((l) => Number(/^ \((\d+\.\d+)\)/.exec(l)?.[1] ?? NaN));

describe.skipIf(skip)('dump and send against can-utils', () => {
  const ready = join(tmpdir(), `cmb-cli-candump-${process.pid}.ready`);
  const started: Collected[] = [];
  const start = (cmd: string, args: string[]) => {
    const c = collect(cmd, args);
    started.push(c);
    return c;
  };

  beforeAll(async () => {
    // group -> vcan1, error frames too; the frames `send` stamps with channel vcan1 are not its own.
    start(process.execPath, [
      BIN,
      'run',
      '--can',
      'vcan1',
      ...NET,
      '--sender-id',
      'bridge-b',
      '--set',
      'toCan.errorFrames=true',
      '--ready-file',
      ready,
    ]);
    await until(() => existsSync(ready), 'the bridge to be ready');
    // A few frames through the bridge first: its first run of the path to CAN is slow (JIT
    // under emulation), which would stand between candump's and dump's times below.
    const warm = start(process.execPath, [
      BIN,
      'send',
      ...NET,
      '--interval',
      '100',
      '7FF#00',
      '7FF#01',
    ]);
    await until(() => warm.closed, 'the warm-up frames');
    await new Promise((r) => setTimeout(r, 1000));
  });

  afterAll(async () => {
    for (const c of started) await stop(c);
    rmSync(ready, { force: true });
  });

  // candump's arguments and dump's, for the same selection of the same frames.
  const VARIANTS: [string, string[], string[], 'log' | 'human' | 'a' | 'z' | 'd' | 'A'][] = [
    ['id:mask', ['-L', 'vcan1,123:7FF'], ['--filter', '123:7FF'], 'log'],
    [
      'inverted + error mask',
      ['-L', 'vcan1,123~7FF,#FFFFFFFF'],
      ['--filter', '123~7FF,#FFFFFFFF'],
      'log',
    ],
    ['joined', ['-L', 'vcan1,120:7F0,003:00F,j'], ['--filter', '120:7F0,003:00F,j'], 'log'],
    ['human', ['vcan1,0:0,#FFFFFFFF'], ['--format', 'human', '--filter', '0:0,#FFFFFFFF'], 'human'],
    ['-t a', ['-t', 'a', 'vcan1,0:0'], ['--format', 'human', '-t', 'a', '--filter', '0:0'], 'a'],
    ['-t z', ['-t', 'z', 'vcan1,0:0'], ['--format', 'human', '-t', 'z', '--filter', '0:0'], 'z'],
    ['-t d', ['-t', 'd', 'vcan1,0:0'], ['--format', 'human', '-t', 'd', '--filter', '0:0'], 'd'],
    ['-t A', ['-t', 'A', 'vcan1,0:0'], ['--format', 'human', '-t', 'A', '--filter', '0:0'], 'A'],
  ];

  it(`prints what candump prints, for ${VARIANTS.length} filters and formats`, async () => {
    const candumps = VARIANTS.map(([, c]) => start('candump', c));
    const dumps = VARIANTS.map(([, , d]) => start(process.execPath, [BIN, 'dump', ...NET, ...d]));
    await until(
      () => dumps.every((d) => d.stderr.includes('listening')),
      'the dumps to listen',
      120_000,
      () => dumps.map((d) => d.stderr).join('\n'),
    );
    // 500 ms apart: candump's and dump's times (taken at different places) stay comparable.
    const send = start(process.execPath, [
      BIN,
      'send',
      ...NET,
      '--channel',
      'vcan1',
      '--interval',
      '500',
      ...FRAMES,
    ]);
    await until(() => send.closed, 'send');
    expect(send.stderr).toBe('');
    // The last frame (456#...) passes every variant's filter but id:mask (123:7FF) and joined.
    const last = (i: number) => !['id:mask', 'joined'].includes(VARIANTS[i]?.[0] ?? '');
    const outputs = () =>
      VARIANTS.map(([n], i) => `${n}:\n${candumps[i]?.stdout}---\n${dumps[i]?.stdout}`).join('\n');
    await until(
      () => candumps.every((c, i) => !last(i) || c.stdout.includes('456')),
      'candump to print the last frame',
      60_000,
      outputs,
    );
    await until(
      () => dumps.every((d, i) => !last(i) || d.stdout.includes('456')),
      'dump to print the last frame',
      60_000,
      outputs,
    );
    await new Promise((r) => setTimeout(r, 2000));
    for (const c of [...candumps, ...dumps]) await stop(c);

    for (const [i, [name, , , kind]] of VARIANTS.entries()) {
      const theirs = candumps[i]?.stdout ?? '';
      const ours = dumps[i]?.stdout ?? '';
      expect(lines(theirs).length, `${name}: candump printed something`).toBeGreaterThan(0);
      if (kind === 'log') {
        expect([name, logTexts(ours)]).toEqual([name, logTexts(theirs)]);
        continue;
      }
      expect([name, maskTime(ours)]).toEqual([name, maskTime(theirs)]);
      if (kind === 'z' || kind === 'd') {
        // Frames 500 ms apart. The two times are taken at different places (dump: the group;
        // candump: vcan1, after the bridge), so the first frame's extra latency (a process's first
        // run of a code path under emulation) is left out: z from the second frame on, as times
        // since it; d from the third. Stated tolerance 250 ms; a wrong mode is off by >= 500 ms.
        const [a, b] = [times(ours), times(theirs)];
        expect(a[0]).toBe(0);
        expect(a).toHaveLength(b.length);
        const from = (v: number[]) =>
          kind === 'z' ? v.slice(1).map((t) => t - (v[1] ?? NaN)) : v.slice(2);
        const [ra, rb] = [from(a), from(b)];
        const diffs = ra.map((t, k) => Math.abs(t - (rb[k] ?? NaN)));
        console.log(
          `-t ${kind}: largest difference to candump ${(Math.max(...diffs) * 1000).toFixed(1)} ms`,
        );
        for (const d of diffs) expect(d).toBeLessThan(0.25);
      }
      if (kind === 'a') {
        // Seconds since the epoch, as candump's "(%010ld.%06ld)": the same moment, within 400 ms
        // from the second frame on (see above); a wrong mode is off by years or >= 500 ms.
        const [a, b] = [times(ours), times(theirs)];
        expect(a).toHaveLength(b.length);
        for (const [k, s] of a.entries()) {
          expect(s).toBeGreaterThan(1_600_000_000);
          if (k > 0) expect(Math.abs(s - (b[k] ?? NaN))).toBeLessThan(0.4);
        }
      }
      if (kind === 'A') {
        // Local date and time, as candump's strftime("%Y-%m-%d %H:%M:%S"): the same moment, within
        // 400 ms from the second frame on (see above); a wrong field is off by >= 1 s.
        const at = (l: string) => {
          const m = /^ \((\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\) /.exec(l);
          const [y, mo, d, h, mi, sec, us] = (m?.slice(1) ?? []).map(Number);
          return new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, sec).getTime() / 1000 + (us ?? 0) / 1e6;
        };
        for (const [k, l] of lines(ours).entries())
          if (k > 0) expect(Math.abs(at(l) - at(lines(theirs)[k] ?? ''))).toBeLessThan(0.4);
      }
    }
  }, 400_000);

  it('send --replay of a candump -L log from vcan0 reproduces its frames and gaps', async () => {
    // Record: frames on vcan0 with gaps of 0.4-0.9 s (and cansend's start-up), as candump -L logs them.
    const gapsS = [0.6, 0.3, 0.9, 0.4, 0.7];
    const texts = [
      '321#01',
      '322#0203',
      '12345678#04',
      '323##1' + '05'.repeat(12),
      '7FF#R2',
      '324#06',
    ];
    const recorder = start('candump', ['-L', 'vcan0']);
    await new Promise((r) => setTimeout(r, 1000));
    const script = texts
      .map((t, i) => `cansend vcan0 '${t}'${i < gapsS.length ? `; sleep ${gapsS[i]}` : ''}`)
      .join('; ');
    const writer = start('sh', ['-c', script]);
    await until(() => writer.closed, 'cansend');
    await until(() => lines(recorder.stdout).length >= texts.length, 'the recording');
    await stop(recorder);
    const log = recorder.stdout;
    const logPath = join(tmpdir(), `cmb-replay-${process.pid}.log`);
    writeFileSync(logPath, log);

    // Replay through send -> group -> bridge -> vcan1, and canplayer vcan0 log -> vcan1 alongside.
    const replayed = start('candump', ['-L', 'vcan1']);
    await new Promise((r) => setTimeout(r, 1000));
    const send = start(process.execPath, [BIN, 'send', ...NET, '--replay', '-']);
    send.child.stdin?.end(readFileSync(logPath));
    await until(() => send.closed, 'send --replay');
    expect(send.stderr).toBe('');
    await until(() => lines(replayed.stdout).length >= texts.length, 'the replayed frames');
    await stop(replayed);
    const viaCanplayer = start('candump', ['-L', 'vcan1']);
    await new Promise((r) => setTimeout(r, 1000));
    const player = start('canplayer', ['-I', logPath, 'vcan1=vcan0']);
    await until(() => player.closed, 'canplayer');
    await until(() => lines(viaCanplayer.stdout).length >= texts.length, 'canplayer frames');
    await stop(viaCanplayer);
    rmSync(logPath, { force: true });

    const parsed = (text: string) => lines(text).map((l) => parseCandumpLine(l));
    const [rec, ours, ref] = [parsed(log), parsed(replayed.stdout), parsed(viaCanplayer.stdout)];
    expect(ours.map((p) => p?.text)).toEqual(rec.map((p) => p?.text));
    expect(ours.map((p) => p?.text)).toEqual(
      texts.map((t) => parseCandumpLine(`(1.0) x ${t}`)?.text),
    );
    const gaps = (ps: typeof rec) => ps.slice(1).map((p, k) => (p?.ts ?? 0) - (ps[k]?.ts ?? 0));
    const [gLog, gOurs, gRef] = [gaps(rec), gaps(ours), gaps(ref)];
    const ms = (s: number) => (s * 1000).toFixed(1);
    console.log(
      'replay gaps (ms)\n| log | send --replay | canplayer |\n| --: | --: | --: |\n' +
        gLog
          .map((g, k) => `| ${ms(g)} | ${ms(gOurs[k] ?? NaN)} | ${ms(gRef[k] ?? NaN)} |`)
          .join('\n'),
    );
    // Stated tolerance: each gap within 150 ms of the log's. Measured through send, the group and
    // the bridge in the emulated VM shared with other VMs: up to 76 ms; canplayer (in the kernel
    // path only) within 4 ms. Sending without the gaps would be off by >= 300 ms.
    for (const [k, g] of gLog.entries()) expect(Math.abs((gOurs[k] ?? NaN) - g)).toBeLessThan(0.15);
    // The schedule runs from the first frame, so errors do not add up over the log.
    const span = (g: number[]) => g.reduce((x, y) => x + y, 0);
    expect(Math.abs(span(gOurs) - span(gLog))).toBeLessThan(0.15);
  });

  it('dump --stats counts the bits canbusload counts for the same frames', async () => {
    // canbusload (2020.11) reads classic frames only and reports each second; sums over the
    // windows do not depend on where the windows fall.
    const texts = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0
        ? `${(0x100 + i).toString(16).toUpperCase()}#${'AB'.repeat(i % 9)}`
        : i % 3 === 1
          ? `${(0x1000000 + i).toString(16).toUpperCase().padStart(8, '0')}#${'CD'.repeat(i % 9)}`
          : `${(0x200 + i).toString(16).toUpperCase()}#R${i % 9}`,
    );
    const busload = start('canbusload', ['vcan1@500000']);
    const dump = start(process.execPath, [
      BIN,
      'dump',
      ...NET,
      '--stats',
      '1',
      '--bitrate',
      '500000',
    ]);
    await until(() => dump.stderr.includes('listening'), 'dump to listen');
    await new Promise((r) => setTimeout(r, 1500));
    const send = start(process.execPath, [BIN, 'send', ...NET, '--channel', 'vcan1', ...texts]);
    await until(() => send.closed, 'send');
    await until(() => lines(dump.stdout).length >= texts.length, 'dump to see every frame');
    // Both report a window only when it ends: wait for two more.
    await new Promise((r) => setTimeout(r, 2500));
    await stop(busload);
    await stop(dump);
    const theirs = lines(busload.stdout)
      .map((l) => /^\s*vcan1@500000\s+(\d+)\s+(\d+)\s+\d+\s+\d+%/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [Number(m[1]), Number(m[2])]);
    const ours = lines(dump.stderr)
      .map((l) => /^dump: stats over 1 s: ([\d.]+) frames\/s, (\d+) bit\/s/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [Number(m[1]), Number(m[2])]);
    const sum = (rows: number[][], k: number) => rows.reduce((x, r) => x + (r[k] ?? 0), 0);
    console.log(
      `bus load: canbusload ${sum(theirs, 0)} frames ${sum(theirs, 1)} bits; dump --stats ${sum(ours, 0)} frames ${sum(ours, 1)} bits`,
    );
    expect(sum(theirs, 0)).toBe(texts.length);
    expect([sum(ours, 0), sum(ours, 1)]).toEqual([sum(theirs, 0), sum(theirs, 1)]);
  });
});
