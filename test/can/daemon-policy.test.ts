/**
 * The daemon's per-direction policy on a real kernel: filters, a disabled direction, error frames
 * off by default, CAN FD frames for a classic interface, odd FD lengths, malformed datagrams
 * (counted, the daemon keeps running), and SIGTERM with the final statistics.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/encode-frame.js';
import { parseFrameString } from '../../src/frame-string.js';
import { ip, NetnsLab } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { skipReason } from './can-helpers.js';
import { addVcanIn, BIN, cansendIn, daemonEnv, NsCandump, startDaemon } from './daemon-helpers.js';
import type { DaemonProcess } from './daemon-helpers.js';

const skip = skipReason() !== null;
const RAW = fileURLToPath(
  new URL('../../dist/test/fixtures/send-raw-datagrams.js', import.meta.url),
);
const GROUP = '239.74.163.2';
const hexOf = (text: string) =>
  encodeFrame({ ...parseFrameString(text, 'peer'), timestamp: 1 }).toString('hex');

// Generous: the VM runs everything 10-50x slower than a host, more when it shares the CPUs.
describe.skipIf(skip)('daemon policy on a real kernel', { timeout: 300_000 }, () => {
  const lab = skip ? null : new NetnsLab('pol');
  let ns: Netns;
  let classic: DaemonProcess;
  let fd: DaemonProcess;
  let dumpClassic: NsCandump;
  let dumpFd: NsCandump;

  beforeAll(async () => {
    ns = await lab!.createNamespace();
    await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    await Promise.all([addVcanIn(ns, 'vcanc', 16), addVcanIn(ns, 'vcanf', 72)]);
    // A classic interface, only ids 0x100..0x1ff from the network, nothing to the network.
    classic = startDaemon(lab!, ns, 'classic', [
      '--can',
      'vcanc',
      '--group',
      GROUP,
      '--sender-id',
      'classic',
      '--set',
      'toCan.filters=100:700',
      '--set',
      'toMulticast.enabled=false',
    ]);
    // An FD interface with every direction on.
    fd = startDaemon(lab!, ns, 'fd', ['--can', 'vcanf', '--group', GROUP, '--sender-id', 'fd']);
    dumpClassic = new NsCandump(lab!, ns, 'vcanc');
    dumpFd = new NsCandump(lab!, ns, 'vcanf');
    await Promise.all([classic.ready(), fd.ready()]);
  });

  afterAll(async () => {
    dumpClassic?.stop();
    dumpFd?.stop();
    await Promise.all([classic?.stop(), fd?.stop()]);
    await lab?.destroy();
  });

  it('applies filters, drops FD for a classic interface and error frames by default, pads odd FD lengths, survives garbage', async () => {
    const texts = [
      '123#11',
      '223#22',
      '123##1AA',
      '20000004#0000000000000000',
      '1FF##0' + '01'.repeat(13),
    ];
    const garbage = [
      '00',
      'c1',
      '8b',
      Buffer.from('hello').toString('hex'),
      hexOf('123#33').slice(0, 40),
    ];
    const res = await lab!.run(ns, process.execPath, [RAW, GROUP, '43113', '50', ...garbage]);
    expect(res.stdout.trim()).toBe(JSON.stringify({ sent: 250 }));
    // Then valid frames: the daemons must still be running and relaying.
    const valid = await lab!.run(ns, process.execPath, [
      RAW,
      GROUP,
      '43113',
      '1',
      ...texts.map(hexOf),
    ]);
    expect(valid.stdout.trim()).toBe(JSON.stringify({ sent: 5 }));
    await dumpFd.waitFor(3);
    await dumpClassic.waitFor(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(dumpClassic.frames).toEqual(['123#11']);
    // Error frames are off by default; the 13-byte FD frame arrives padded to 16 bytes.
    expect(dumpFd.frames.sort()).toEqual(
      ['123##1AA', '123#11', '1FF##0' + '01'.repeat(13) + '000000', '223#22'].sort(),
    );
  });

  it('sends nothing to the network from a direction that is off', async () => {
    const dump = lab!.spawn(ns, process.execPath, [BIN, 'dump', '-4', '--timeout', '4'], {
      env: daemonEnv(),
    });
    let out = '';
    dump.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise((resolve) => dump.once('close', resolve));
    await new Promise((r) => setTimeout(r, 2000));
    await cansendIn(lab!, ns, 'vcanc', ['321#01', '322#02']);
    expect(await exited).toBe(0);
    expect(out).toBe('');
  });

  it('counts every drop by reason in the final statistics after SIGTERM', async () => {
    const [c, f] = await Promise.all([classic.stop(), fd.stop()]);
    expect(c.code, classic.detail()).toBe(0);
    expect(f.code, fd.detail()).toBe(0);
    expect(c.stats).toMatchObject({
      toCan: { frames: 1, dropped: { filtered: 1, fd_unsupported: 2, error_frame: 1 } },
      toMulticast: { frames: 0 },
    });
    expect(f.stats).toMatchObject({ toCan: { frames: 4, dropped: { error_frame: 1 } } });
    const dropped = (f.stats as { multicast: { dropped: Record<string, number> } }).multicast
      .dropped;
    expect(Object.values(dropped).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(250);
  });
});
