/**
 * End to end against the real python-can (Debian python3-can 4.1 `UdpMulticastBus`), in network
 * namespaces this file creates: two namespaces joined by a veth pair, each end with IPv4 and IPv6
 * addresses. Our endpoint runs as the compiled node fixture (dist/test/fixtures/multicast-peer.js,
 * `npm run build` first) because a test process cannot enter a namespace itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/encode-frame.js';
import { makeFrame } from '../../src/frame.js';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { everyFrameKind } from '../support/frame-kinds.js';
import { frameToJson } from '../support/frame-json.js';
import type { FrameJson } from '../support/frame-json.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import { NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { pack } from 'msgpackr';

const PYTHON = '/usr/bin/python3';
const PYTHON_PEER = fileURLToPath(new URL('../fixtures/python-can-peer.py', import.meta.url));
const NODE_PEER = fileURLToPath(
  new URL('../../dist/test/fixtures/multicast-peer.js', import.meta.url),
);

function skipReason(): string | null {
  const reason = netnsSkipReason('multicast interop tests');
  if (reason !== null) return reason;
  const probe = spawnSync(PYTHON, ['-c', 'import can, msgpack'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `python3-can / python3-msgpack missing for ${PYTHON} (scripts/install-test-deps.sh)`;
    if (process.env.CI === 'true') throw new Error(`multicast interop tests: ${why}`);
    console.warn(`SKIPPED multicast interop tests: ${why}`);
    return why;
  }
  if (!existsSync(NODE_PEER)) {
    // Not a skip: the build is part of the test run (scripts/test.mjs builds first).
    throw new Error(`${NODE_PEER} is missing: run \`npm run build\` first`);
  }
  return null;
}
const skip = skipReason() !== null;

const FAMILIES = [
  { name: 'IPv4', group: DEFAULT_GROUP_IPV4, other: '239.74.163.3' },
  { name: 'IPv6', group: DEFAULT_GROUP_IPV6, other: 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6174' },
] as const;

/** A frame as JSON without the timestamp (receivers replace it), for comparing multisets. */
function key(f: FrameJson): string {
  return JSON.stringify({ ...f, timestamp: 0 });
}

describe.skipIf(skip)('multicast interop with python-can 4.1', () => {
  const lab = skip ? null : new NetnsLab('mci');
  let nsA: Netns;
  let nsB: Netns;
  let ifA: string;
  let peers: JsonLinesPeer[] = [];
  const frames = everyFrameKind();
  const framesJson = frames.map(frameToJson);

  beforeAll(async () => {
    if (lab === null) return;
    nsA = await lab.createNamespace();
    nsB = await lab.createNamespace();
    [ifA] = await lab.addVethPair(nsA, { ipv4: '10.77.0.1/24', ipv6: 'fd77::1/64' }, nsB, {
      ipv4: '10.77.0.2/24',
      ipv6: 'fd77::2/64',
    });
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.quit().catch(() => undefined)));
    await lab?.destroy();
  });

  async function nodePeer(ns: Netns, options: Record<string, unknown>): Promise<JsonLinesPeer> {
    const child = lab!.spawn(ns, process.execPath, [NODE_PEER, JSON.stringify(options)]);
    const peer = new JsonLinesPeer('node peer', child);
    peers.push(peer);
    await peer.waitFor('ready');
    return peer;
  }

  async function pythonPeer(ns: Netns, group: string, port = 43113): Promise<JsonLinesPeer> {
    const child = lab!.spawn(ns, PYTHON, [PYTHON_PEER, '--group', group, '--port', String(port)]);
    const peer = new JsonLinesPeer(`python-can peer (${group})`, child);
    peers.push(peer);
    await peer.waitFor('ready');
    return peer;
  }

  async function quitAll(): Promise<void> {
    const quitting = peers;
    peers = [];
    await Promise.all(quitting.map((p) => p.quit()));
  }

  afterEach(quitAll);

  describe.each(FAMILIES)('$name', ({ group, other }) => {
    it.each(['one host', 'two namespaces'])(
      'exchanges every kind of frame both ways with python-can on %s; own echoes never surface',
      async (where) => {
        const [ours, theirs] = await Promise.all([
          nodePeer(nsA, { group, interface: ifA }),
          pythonPeer(where === 'one host' ? nsA : nsB, group),
        ]);

        // Ours -> python-can.
        theirs.command({ cmd: 'recv', count: frames.length, timeout: 3 });
        await theirs.waitFor('receiving');
        ours.command({ cmd: 'send', frames: framesJson });
        const sent = await ours.waitFor('sent');
        expect(sent.errors).toEqual([]);
        const received = await theirs.waitFor('received');
        expect(received).toMatchObject({ count: frames.length, errors: 0 });
        const atPython = theirs.all('frame').map((e) => e.frame as FrameJson);
        expect(atPython.map(key).sort()).toEqual(framesJson.map(key).sort());

        // python-can -> ours. The sender's timestamps arrive bit-exact.
        theirs.command({ cmd: 'send', frames: framesJson });
        await theirs.waitFor('sent', { from: theirs.events.indexOf(received) });
        const got = await ours.waitForCount('frame', frames.length, 5000);
        expect(got.map((e) => key(e.frame as FrameJson)).sort()).toEqual(
          framesJson.map(key).sort(),
        );
        expect(got.map((e) => e.senderTimestamp).sort()).toEqual(
          framesJson.map((f) => f.timestamp).sort(),
        );
        expect(got.every((e) => (e.source as { port: number }).port === 43113)).toBe(true);

        // Nothing more arrives: our own datagrams came back through the multicast loop (python-can
        // on this host got them above) and the kernel own-echo filter dropped them before they
        // reached our process: only python-can's datagrams were read.
        await new Promise((r) => setTimeout(r, 200));
        ours.command({ cmd: 'stats' });
        const { stats } = await ours.waitFor('stats');
        expect(stats).toMatchObject({
          received: frames.length,
          sent: frames.length,
          sendErrors: 0,
          datagrams: frames.length,
          dropped: {},
        });
        expect(ours.all('frame')).toHaveLength(frames.length);
        await quitAll();
      },
    );

    it("shares the port with python-can whichever starts first, on the kernel's default interface", async () => {
      // No interface named: the kernel's choice, as python-can does (INADDR_ANY / index 0).
      const before = await pythonPeer(nsA, group);
      const ours = await nodePeer(nsA, { group });
      const [after, remote] = await Promise.all([pythonPeer(nsA, group), pythonPeer(nsB, group)]);
      const one = frameToJson(
        makeFrame({ arbitrationId: 0x51, isExtendedId: false, timestamp: 2.5 }),
      );
      const two = frameToJson(
        makeFrame({ arbitrationId: 0x52, isExtendedId: true, timestamp: 2.5 }),
      );
      const three = frameToJson(makeFrame({ arbitrationId: 0x53, timestamp: 2.5 }));
      remote.command({ cmd: 'recv', count: 1, timeout: 3 });
      await remote.waitFor('receiving');
      ours.command({ cmd: 'send', frames: [one] });
      expect(await remote.waitFor('received')).toMatchObject({ count: 1 });
      expect(remote.all('frame')[0]?.frame).toMatchObject({ arbitration_id: 0x51 });
      before.command({ cmd: 'send', frames: [two] });
      after.command({ cmd: 'send', frames: [three] });
      const got = await ours.waitForCount('frame', 2, 3000);
      expect(got.map((e) => (e.frame as FrameJson).arbitration_id).sort()).toEqual([0x52, 0x53]);
    });

    it('receives only its own group: another group on the same port joined on this host does not leak in', async () => {
      const [ours, control, otherGroup] = await Promise.all([
        nodePeer(nsA, { group, interface: ifA }),
        pythonPeer(nsA, group),
        pythonPeer(nsA, other),
      ]);
      const burst = framesJson.slice(0, 20);

      // Control: python-can (wildcard bind, IP_MULTICAST_ALL) does get the other group's frames.
      control.command({ cmd: 'recv', count: burst.length, timeout: 1.5 });
      await control.waitFor('receiving');
      otherGroup.command({ cmd: 'send', frames: burst });
      const leaked = await control.waitFor('received');
      expect(leaked.count).toBe(burst.length);

      // Then one frame to our group: only that one reaches our endpoint.
      const marker = frameToJson(
        makeFrame({ arbitrationId: 0x7aa, isExtendedId: false, timestamp: 1.5 }),
      );
      control.command({ cmd: 'send', frames: [marker] });
      const [got] = await ours.waitForCount('frame', 1, 3000);
      expect(got?.frame).toMatchObject({ arbitration_id: 0x7aa });
      await new Promise((r) => setTimeout(r, 200));
      ours.command({ cmd: 'stats' });
      const { stats } = await ours.waitFor('stats');
      expect(stats).toMatchObject({ datagrams: 1, received: 1, dropped: {} });
      await quitAll();
    });

    it('counts malformed datagrams by reason and keeps running', async () => {
      const [ours, theirs] = await Promise.all([
        nodePeer(nsA, { group, interface: ifA }),
        pythonPeer(nsB, group),
      ]);
      const good = encodeFrame(
        makeFrame({ arbitrationId: 0x42, isExtendedId: false, data: Uint8Array.of(1) }),
      );
      const payloads = [
        Buffer.from('hello, not msgpack'), // a fixint, not a map
        good.subarray(0, good.length - 1), // truncated msgpack
        pack(
          new Map<string, unknown>([
            ['arbitration_id', 1],
            ['flux', true],
          ]),
        ), // unknown key
        pack(
          new Map<string, unknown>([
            ['arbitration_id', 0x800],
            ['is_extended_id', false],
          ]),
        ), // invalid
        Buffer.alloc(4097, 0x80), // over python-can's 4096-byte read
      ];
      theirs.command({ cmd: 'raw', payloads: payloads.map((p) => Buffer.from(p).toString('hex')) });
      await theirs.waitFor('sent');
      theirs.command({
        cmd: 'send',
        frames: [frameToJson(makeFrame({ arbitrationId: 0x43, isExtendedId: false }))],
      });
      const [got] = await ours.waitForCount('frame', 1, 3000);
      expect(got?.frame).toMatchObject({ arbitration_id: 0x43 });
      ours.command({ cmd: 'stats' });
      const { stats } = await ours.waitFor('stats');
      expect(stats).toMatchObject({
        datagrams: 6,
        received: 1,
        dropped: { not_a_map: 1, truncated: 1, unknown_key: 1, std_id_too_large: 1, too_large: 1 },
      });
      // Still running: a frame sent now still arrives.
      theirs.command({ cmd: 'send', frames: [frameToJson(makeFrame({ arbitrationId: 0x44 }))] });
      await ours.waitForCount('frame', 2, 3000);
      await quitAll();
    });
  });
});
