import { describe, expect, it } from 'vitest';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { parseFrameString } from '../../../src/frame-string.js';
import { runCliInProcess } from '../../support/cli-harness.js';

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('runCli', () => {
  it.each([
    [['--help'], 0, 'Commands:'],
    [['dump', '--help'], 0, '--count N'],
    [['send', '--help'], 0, '123##1DEADBEEF'],
    [['--version'], 0, '9.9.9'],
  ])('prints help for %j', async (argv, code, text) => {
    const run = runCliInProcess(argv);
    expect(await run.exit).toBe(code);
    expect(run.stdout()).toContain(text);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['dump', '--bogus'], "unknown option --bogus (see 'can-multicast-bridge dump --help')"],
    [['dump', '--count', 'x'], '--count must be an integer'],
    [['dump', '--timeout=-1'], '--timeout must be a number of seconds'],
    [['send', '123#XYZ'], 'data "XYZ" is not hexadecimal: "X" is not a hex digit'],
    [['dump', 'extra'], 'dump takes no arguments'],
    [['send'], 'send needs at least one FRAME'],
    [
      ['send', '123#DEADBEEF', '800#00'],
      'invalid frame "800#00": 11-bit id 0x800 is larger than 0x7FF',
    ],
    [['send', '--port', '70000', '123#00'], '--port must be an integer from 1 to 65535'],
    [['send', '--hop-limit', '256', '123#00'], '--hop-limit must be an integer from 0 to 255'],
    [['send', '--group', '10.0.0.1', '123#00'], '10.0.0.1'],
    [['send', '--group', 'nonsense', '123#00'], 'nonsense'],
    [['send', '-4', '--group', '239.1.1.1', '123#00'], 'exclude each other'],
  ])('rejects %j with one line and exit 64, sending nothing', async (argv, message) => {
    const run = runCliInProcess(argv);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toContain(message);
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    expect(run.sockets.flatMap((s) => s.sent)).toEqual([]);
  });

  // Issue 12: node:util parseArgs' own texts span three lines (one has an unbalanced quote).
  it.each([
    [['dump', '--timeout', '-1'], 'dump: --timeout must be a number of seconds >= 0, got "-1"'],
    [['dump', '-T', '-1'], 'dump: --timeout must be a number of seconds >= 0, got "-1"'],
    [['send', '--interval', '-1', '123#00'], 'send: --interval must be an integer from 0 to'],
    [['dump', '--bogus'], "dump: unknown option --bogus (see 'can-multicast-bridge dump --help')"],
    [['dump', '-x'], "dump: unknown option -x (see 'can-multicast-bridge dump --help')"],
    [['dump', '-4jx'], 'dump: unknown option -x in "-4jx"'],
    [['dump', '--json=yes'], 'dump: --json takes no value, got "--json=yes"'],
    [
      ['dump', '--timeout'],
      "dump: --timeout needs a value (see 'can-multicast-bridge dump --help')",
    ],
    [
      ['send', '--channel', '-x', '123#00'],
      `send: --channel needs a value, got the option "-x" (a value starting with '-' is written --channel=-x)`,
    ],
    [['run', '--nope'], "run: unknown option --nope (see 'can-multicast-bridge run --help')"],
    [['check-config', '--set'], 'check-config: --set needs a value'],
  ])('says %j in one line of its own words, exit 64', async (argv, message) => {
    const run = runCliInProcess(argv);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toMatch(/^can-multicast-bridge [^\n]+\n$/);
    expect(run.stderr()).toContain(`can-multicast-bridge ${message}`);
  });

  it('lists --version in the top-level help and the default CAN interface in run --help', async () => {
    const main = runCliInProcess(['--help']);
    expect(await main.exit).toBe(0);
    expect(main.stdout()).toContain('-V, --version  print the version');
    const run = runCliInProcess(['run', '--help']);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toContain(
      '--can IFACE        can.interface, the CAN interface (default can0',
    );
  });

  it('send writes one python-can datagram per frame to the group, timestamped now', async () => {
    const run = runCliInProcess([
      'send',
      '-4',
      '--channel',
      'bench',
      '123#DEAD',
      '12345678##3' + '00'.repeat(12),
      '7FF#R2',
    ]);
    expect(await run.exit).toBe(0);
    const sent = run.sockets.flatMap((s) => s.sent);
    expect(sent.map((d) => [d.address, d.port])).toEqual(Array(3).fill(['239.74.163.2', 43113]));
    const frames = sent.map((d) => decodeDatagram(d.msg));
    expect(frames).toEqual(
      ['123#DEAD', '12345678##3' + '00'.repeat(12), '7FF#R2'].map((text) => ({
        ok: true,
        frame: { ...parseFrameString(text, 'bench'), timestamp: 1700000000.5 },
      })),
    );
  });

  it('dump prints candump lines and stops after --count frames', async () => {
    const run = runCliInProcess(['dump', '-4', '--count', '3']);
    await waitUntil(() => run.stderr().includes('listening'));
    const rx = run.sockets[0];
    if (rx === undefined) throw new Error('no socket');
    for (const text of ['123#DEADBEEF', '1FFFFFFF#R8', '123##1AA', '20000004#0000000000000000']) {
      rx.receive(encodeFrame({ ...parseFrameString(text, 'vcan0'), timestamp: 5 }), {
        address: '10.0.0.2',
        port: 43113,
      });
    }
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(
      '(1700000000.500000) vcan0 123#DEADBEEF\n(1700000000.500000) vcan0 1FFFFFFF#R8\n(1700000000.500000) vcan0 123##1AA\n',
    );
  });

  it('dump --json prints python-can field names and counts bad datagrams', async () => {
    const run = runCliInProcess(['dump', '-4', '--json', '--count', '1']);
    await waitUntil(() => run.stderr().includes('listening'));
    const rx = run.sockets[0];
    if (rx === undefined) throw new Error('no socket');
    rx.receive(Buffer.from('garbage'), { address: '10.0.0.2', port: 43113 });
    rx.receive(encodeFrame(parseFrameString('20000004#0000000000000000', null)), {
      address: '10.0.0.2',
      port: 43113,
    });
    expect(await run.exit).toBe(0);
    expect(JSON.parse(run.stdout())).toEqual({
      timestamp: 1700000000.5,
      arbitration_id: 4,
      is_extended_id: false,
      is_remote_frame: false,
      is_error_frame: true,
      channel: null,
      dlc: 8,
      data: '0000000000000000',
      is_fd: false,
      bitrate_switch: false,
      error_state_indicator: false,
    });
    expect(run.stderr()).toMatch(/dump: 1 frames, dropped \w+=1/);
  });

  it('dump --timeout exits 1 when --count frames did not arrive, 0 on a signal', async () => {
    const timedOut = runCliInProcess(['dump', '-4', '--count', '2', '--timeout', '0.05']);
    expect(await timedOut.exit).toBe(1);
    expect(timedOut.stderr()).toContain('received 0 of 2 frames');
    const stopped = runCliInProcess(['dump', '-4']);
    await waitUntil(() => stopped.stderr().includes('listening'));
    stopped.abort();
    expect(await stopped.exit).toBe(0);
  });
});
