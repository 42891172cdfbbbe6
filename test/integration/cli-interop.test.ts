/**
 * The built CLI (`bin/can-multicast-bridge`, as a user runs it) against the real python-can 4.1
 * `UdpMulticastBus`, across two network namespaces joined by a veth pair, IPv4 and IPv6:
 * `dump` prints what python-can sends, python-can receives what `send` sends.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { formatFrameString, parseFrameString } from '../../src/frame-string.js';
import { everyFrameKind } from '../support/frame-kinds.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import { NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { fixturePath, PYTHON, skipWithoutPythonCan } from '../support/python-can.js';
import { frameToJson } from '../support/frame-json.js';
import { until } from '../support/until.js';
import type { FrameJson } from '../support/frame-json.js';

const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url)).replace(
  /\/dist\/bin\//,
  '/bin/',
);
const BUILT = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url)).replace(
  /\/dist\/dist\//,
  '/dist/',
);

function skipReason(): string | null {
  const reason = netnsSkipReason('CLI interop tests');
  if (reason !== null) return reason;
  if (skipWithoutPythonCan()) return 'python-can missing';
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  return null;
}
const skip = skipReason() !== null;

/** Frames cansend syntax can write (an error frame's id is always 11-bit there), channel 'cli'. */
const FRAMES = everyFrameKind()
  .filter((f) => !(f.isErrorFrame && f.isExtendedId))
  .map((f) => ({ ...f, channel: 'cli' }));
const TEXTS = FRAMES.map(formatFrameString);
const noTimestamp = (f: FrameJson) => JSON.stringify({ ...f, timestamp: 0 });

function collect(child: ChildProcess): {
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
} {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  return { out: () => out, err: () => err, exit };
}

describe.skipIf(skip)('CLI interop with python-can 4.1 across two namespaces', () => {
  const lab = skip ? null : new NetnsLab('cli');
  let nsA: Netns;
  let nsB: Netns;
  let ifA: string;

  beforeAll(async () => {
    if (lab === null) return;
    nsA = await lab.createNamespace();
    nsB = await lab.createNamespace();
    [ifA] = await lab.addVethPair(nsA, { ipv4: '10.78.0.1/24', ipv6: 'fd78::1/64' }, nsB, {
      ipv4: '10.78.0.2/24',
      ipv6: 'fd78::2/64',
    });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function pythonPeer(group: string): Promise<JsonLinesPeer> {
    const child = lab!.spawn(nsB, PYTHON, [fixturePath('python-can-peer.py'), '--group', group]);
    const peer = new JsonLinesPeer('python-can peer', child);
    await peer.waitFor('ready');
    return peer;
  }

  describe.each([
    { family: 'IPv4', group: DEFAULT_GROUP_IPV4 },
    { family: 'IPv6', group: DEFAULT_GROUP_IPV6 },
  ])('$family', ({ group }) => {
    it(`dump prints every kind of frame python-can sends, exactly once (${FRAMES.length} frames)`, async () => {
      const peer = await pythonPeer(group);
      try {
        const dump = collect(
          lab!.spawn(nsA, process.execPath, [
            BIN,
            'dump',
            '--json',
            '--group',
            group,
            '--interface',
            ifA,
            '--count',
            String(FRAMES.length),
            '--timeout',
            '20',
          ]),
        );
        await until(() => dump.err().includes('listening'), 'dump to listen', 10_000, {
          pollMs: 20,
        });
        peer.command({ cmd: 'send', frames: FRAMES.map(frameToJson) });
        expect(await dump.exit).toBe(0);
        const lines = dump
          .out()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as FrameJson);
        expect(lines.map(noTimestamp).sort()).toEqual(
          FRAMES.map(frameToJson).map(noTimestamp).sort(),
        );
        // The local receive time, as python-can's receiver sets it.
        for (const l of lines) expect(Math.abs(l.timestamp - Date.now() / 1000)).toBeLessThan(60);
        expect(dump.err()).toMatch(new RegExp(`dump: ${FRAMES.length} frames\\n`));
      } finally {
        await peer.quit();
      }
    });

    it('send delivers every cansend-syntax frame to python-can, which rejects none', async () => {
      const peer = await pythonPeer(group);
      try {
        peer.command({ cmd: 'recv', count: TEXTS.length, timeout: 10 });
        await peer.waitFor('receiving');
        const res = await lab!.run(nsA, process.execPath, [
          BIN,
          'send',
          '--group',
          group,
          '--interface',
          ifA,
          '--channel',
          'cli',
          ...TEXTS,
        ]);
        expect(res.stderr).toBe('');
        expect(res.code).toBe(0);
        const received = await peer.waitFor('received', { timeoutMs: 15_000 });
        expect(received).toMatchObject({ count: TEXTS.length, errors: 0 });
        const got = peer.all('frame').map((e) => e.frame as FrameJson);
        expect(got.map(noTimestamp).sort()).toEqual(
          TEXTS.map((t) => frameToJson(parseFrameString(t, 'cli')))
            .map(noTimestamp)
            .sort(),
        );
      } finally {
        await peer.quit();
      }
    });
  });

  // Regression (issue 12): "XYZ" was reported as odd length ("whole bytes"), not as non-hex.
  it('send with a bad frame prints one line, exits 64 and sends nothing', async () => {
    const res = await lab!.run(nsA, process.execPath, [BIN, 'send', '-4', '123#00', '123#XYZ']);
    expect(res.code).toBe(64);
    expect(res.stderr.trim()).toBe(
      'can-multicast-bridge send: FRAME 2: invalid frame "123#XYZ": data "XYZ" is not hexadecimal: "X" is not a hex digit (0-9, A-F)',
    );
  });
});
