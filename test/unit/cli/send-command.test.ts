import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseFrameString } from '../../../src/frame-string.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { SendPacer } from '../../../src/cli/send-pacer.js';
import { runCliInProcess } from '../../support/cli-harness.js';

function sendWithStdin(args: string[], input: string) {
  return runCliInProcess(['send', '-4', ...args], undefined, { stdin: Readable.from([input]) });
}

/** The frames the command sent, as cansend text and channel. */
function sentFrames(run: ReturnType<typeof runCliInProcess>): [string, unknown][] {
  return run.sockets
    .flatMap((s) => s.sent)
    .map((d) => {
      const r = decodeDatagram(d.msg);
      if (!r.ok) throw new Error(r.reason);
      return [
        `${r.frame.arbitrationId.toString(16)}:${Buffer.from(r.frame.data).toString('hex')}`,
        r.frame.channel,
      ];
    });
}

const LOG = `# recorded with candump -L vcan0
(1700000000.100000) vcan0 123#DEADBEEF

(1700000000.200000) vcan1 124#01
  125#02
(1700000000.300000) - 126#03
(1700000000.400000) vcan0 1ABCDEF0##5AABB
`;

describe('send -', () => {
  it('reads cansend and candump log lines, skips blanks and comments, channel = interface', async () => {
    const run = sendWithStdin(['-'], LOG);
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toBe('');
    expect(sentFrames(run)).toEqual([
      ['123:deadbeef', 'vcan0'],
      ['124:01', 'vcan1'],
      ['125:02', null],
      ['126:03', null],
      ['1abcdef0:aabb', 'vcan0'],
    ]);
  });

  it('maps interfaces with --map; --channel wins over both', async () => {
    const mapped = sendWithStdin(['--map', 'vcan0=a', '-'], LOG);
    expect(await mapped.exit).toBe(0);
    expect(sentFrames(mapped).map(([, c]) => c)).toEqual(['a', 'vcan1', null, null, 'a']);
    const fixed = sendWithStdin(['--channel', 'me', '--map', 'vcan0=a', '-'], LOG);
    expect(await fixed.exit).toBe(0);
    expect(sentFrames(fixed).map(([, c]) => c)).toEqual(['me', 'me', 'me', 'me', 'me']);
  });

  it('stops before a bad line, naming its number, exit 64', async () => {
    const run = sendWithStdin(['-'], '123#00\n\n124#XY\n125#00\n');
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toBe(
      'can-multicast-bridge send: line 3: invalid frame "124#XY": data "XY" is not hexadecimal: "X" is not a hex digit (0-9, A-F)\n',
    );
    expect(sentFrames(run)).toEqual([['123:00', null]]);
  });

  it('--keep-going skips bad lines, says so, sends the rest, exit 1', async () => {
    const run = sendWithStdin(['--keep-going', '-'], '123#00\n(12) x\n125#00\n');
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toBe(
      'can-multicast-bridge send: skipped line 2: "(12) x" is not a candump log line: expected "(seconds) interface frame", e.g. "(1700000000.123456) can0 123#DEADBEEF"\n' +
        'can-multicast-bridge send: 2 frames sent, 1 skipped\n',
    );
    expect(sentFrames(run)).toEqual([
      ['123:00', null],
      ['125:00', null],
    ]);
  });

  it('--loop N sends the whole input N times', async () => {
    const run = sendWithStdin(['--loop', '3', '-'], '123#00\n124#01\n');
    expect(await run.exit).toBe(0);
    expect(sentFrames(run).map(([f]) => f)).toEqual(
      Array(3).fill(['123:00', '124:01']).flat() as string[],
    );
  });
});

describe('send limits and usage', () => {
  // Issue 12: the first frames went out, then exit 70 with a stack trace ("too_large").
  it('refuses a frame over python-can 4096-byte datagram limit before sending anything', async () => {
    const run = runCliInProcess(['send', '-4', '--channel', 'x'.repeat(5000), '123#00', '124#00']);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toBe(
      `can-multicast-bridge send: FRAME 1: invalid frame "123#00": its datagram would exceed python-can's 4096-byte limit (a shorter --channel?)\n`,
    );
    expect(run.sockets.flatMap((s) => s.sent)).toEqual([]);
  });

  it('sends a channel that just fits', async () => {
    const run = runCliInProcess(['send', '-4', '--channel', 'x'.repeat(3900), '123#00']);
    expect(await run.exit).toBe(0);
    expect(run.sockets.flatMap((s) => s.sent)).toHaveLength(1);
  });

  it.each([
    [['-', '123#00'], "send takes either FRAME arguments or '-' (stdin), not both"],
    [['--replay', '--interval', '5', '-'], '--replay and --interval exclude each other'],
    [['--loop', '0', '-'], '--loop must be an integer from 1 to'],
    [['--map', 'vcan0', '-'], '--map takes IFACE=NAME, e.g. --map can0=a; got "vcan0"'],
  ])('rejects %j with exit 64', async (args, message) => {
    const run = sendWithStdin(args, '123#00\n');
    expect(await run.exit).toBe(64);
    expect(run.stderr().startsWith(`can-multicast-bridge send: ${message}`)).toBe(true);
    expect(run.stderr().split('\n')).toHaveLength(2); // one line
    expect(run.sockets.flatMap((s) => s.sent)).toEqual([]);
  });

  it('parses the same frames from arguments and from stdin', async () => {
    const args = runCliInProcess(['send', '-4', '123#DEADBEEF', '7FF#R2']);
    const stdin = sendWithStdin(['-'], '123#DEADBEEF\n7FF#R2\n');
    expect(await args.exit).toBe(0);
    expect(await stdin.exit).toBe(0);
    const frames = (r: ReturnType<typeof runCliInProcess>) =>
      r.sockets.flatMap((s) => s.sent).map((d) => decodeDatagram(d.msg));
    expect(frames(stdin)).toEqual(frames(args));
    expect(frames(args)[1]).toEqual({
      ok: true,
      frame: { ...parseFrameString('7FF#R2'), timestamp: 1700000000.5 },
    });
  });
});

describe('SendPacer', () => {
  function fakeTime() {
    let now = 1000;
    const sleeps: number[] = [];
    return {
      sleeps,
      deps: {
        nowMs: () => now,
        sleep: (ms: number) => {
          sleeps.push(Math.round(ms * 1000) / 1000);
          now += ms;
          return Promise.resolve();
        },
      },
      advance: (ms: number) => (now += ms),
    };
  }
  const signal = new AbortController().signal;

  it('replays the gaps between log times, measured from the first frame', async () => {
    const t = fakeTime();
    const pacer = new SendPacer({ kind: 'replay' }, t.deps);
    await pacer.wait(100.0, signal);
    await pacer.wait(100.25, signal);
    t.advance(100); // sending took 100 ms: the next wait is shorter, the schedule holds
    await pacer.wait(100.5, signal);
    await pacer.wait(100.4, signal); // before the previous one: at once
    expect(t.sleeps).toEqual([250, 150]);
    pacer.restart();
    await pacer.wait(100.0, signal);
    await pacer.wait(100.1, signal);
    expect(t.sleeps).toEqual([250, 150, 100]);
  });

  it('waits a fixed interval between frames, none before the first', async () => {
    const t = fakeTime();
    const pacer = new SendPacer({ kind: 'interval', ms: 20 }, t.deps);
    for (const logS of [null, 5, null]) await pacer.wait(logS, signal);
    expect(t.sleeps).toEqual([20, 20]);
  });
});
