/**
 * The multicast endpoint re-joins by itself when the network interface carrying the group is
 * deleted and re-created (a new ifindex: the kernel drops the membership, IP_MULTICAST_IF /
 * IPV6_MULTICAST_IF and the connected route point at the old index), on a real kernel: two
 * namespaces joined by a veth pair that the test deletes and re-creates under the same names and
 * addresses while both node peers (dist/test/fixtures/multicast-peer.js) keep running.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeFrame } from '../../src/frame.js';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { frameToJson } from '../support/frame-json.js';
import type { FrameJson } from '../support/frame-json.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import type { PeerEvent } from '../support/json-lines-peer.js';
import { ip, NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { LinkAddresses, Netns } from '../support/netns.js';

const NODE_PEER = fileURLToPath(
  new URL('../../dist/test/fixtures/multicast-peer.js', import.meta.url),
);
const skip = netnsSkipReason('multicast re-join tests') !== null;
if (!skip && !existsSync(NODE_PEER)) {
  throw new Error(`${NODE_PEER} is missing: run \`npm run build\` first`);
}

const A: LinkAddresses = { ipv4: '10.78.0.1/24', ipv6: 'fd78::1/64' };
const B: LinkAddresses = { ipv4: '10.78.0.2/24', ipv6: 'fd78::2/64' };

interface BusStats {
  rejoins: number;
  sent: number;
  sendErrors: number;
}

describe.skipIf(skip)('multicast re-join on a real kernel', () => {
  const lab = skip ? null : new NetnsLab('mrj');
  let nsA: Netns;
  let nsB: Netns;
  let names: [string, string];
  let peers: JsonLinesPeer[] = [];
  let nextId = 0x100;

  beforeAll(async () => {
    nsA = await lab!.createNamespace();
    nsB = await lab!.createNamespace();
    names = await lab!.addVethPair(nsA, A, nsB, B);
  });

  afterEach(async () => {
    const quitting = peers;
    peers = [];
    await Promise.all(quitting.map((p) => p.quit().catch(() => undefined)));
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function peer(ns: Netns, options: Record<string, unknown>): Promise<JsonLinesPeer> {
    const child = lab!.spawn(ns, process.execPath, [
      NODE_PEER,
      JSON.stringify({ interfaceCheckIntervalMs: 300, logs: true, ...options }),
    ]);
    const p = new JsonLinesPeer(`node peer in ${ns.name}`, child);
    peers.push(p);
    await p.waitFor('ready');
    return p;
  }

  async function stats(p: JsonLinesPeer): Promise<BusStats> {
    const from = p.events.length;
    p.command({ cmd: 'stats' });
    const e = await p.waitFor('stats', { from });
    return e.stats as BusStats;
  }

  /** Deletes the veth pair (both ends go) and creates it again: same names and addresses. */
  async function recreatePair(): Promise<void> {
    await ip(['-n', nsA.name, 'link', 'del', names[0]]);
    await new Promise((r) => setTimeout(r, 700)); // at least one look sees it gone
    await lab!.addVethPair(nsA, A, nsB, B, names);
  }

  /** `count` frames from `from` arrive at `to`; returns the ids that arrived. */
  async function oneWay(from: JsonLinesPeer, to: JsonLinesPeer, count = 5): Promise<number> {
    const id = nextId++;
    const frames = Array.from({ length: count }, (_, i) =>
      frameToJson(makeFrame({ arbitrationId: id, data: Uint8Array.of(i), timestamp: 1 })),
    );
    const mark = to.events.length;
    const sentFrom = from.events.length;
    from.command({ cmd: 'send', frames });
    await from.waitFor('sent', { from: sentFrom });
    const isOurs = (e: PeerEvent) => (e.frame as FrameJson).arbitration_id === id;
    const deadline = Date.now() + 5000;
    while (to.all('frame', mark).filter(isOurs).length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return to.all('frame', mark).filter(isOurs).length;
  }

  /** Sends until frames get through both ways (the peers re-join within a few looks). */
  async function bothWaysEventually(a: JsonLinesPeer, b: JsonLinesPeer): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [ab, ba] = [await oneWay(a, b, 1), await oneWay(b, a, 1)];
      if (ab === 1 && ba === 1) return;
      if (Date.now() > deadline) throw new Error(`no traffic after re-creation: ${ab} ${ba}`);
    }
  }

  const logMsgs = (p: JsonLinesPeer) =>
    p
      .all('log')
      .map((e) => e.msg as string)
      .filter((m) => m.startsWith('multicast interface'));

  it.each([
    { family: 'IPv4', group: DEFAULT_GROUP_IPV4 },
    { family: 'IPv6 site-local', group: DEFAULT_GROUP_IPV6 },
    { family: 'IPv6 link-local', group: 'ff12::7079' },
  ])(
    '$family: veth deleted and re-created: both peers log gone then back, re-join once, and traffic resumes both ways',
    async ({ group }) => {
      const [a, b] = await Promise.all([
        peer(nsA, { group, interface: names[0] }),
        peer(nsB, { group, interface: names[1] }),
      ]);
      expect(await oneWay(a, b)).toBe(5);
      expect(await oneWay(b, a)).toBe(5);

      await recreatePair();
      await bothWaysEventually(a, b);
      expect(await oneWay(a, b)).toBe(5);
      expect(await oneWay(b, a)).toBe(5);
      for (const p of [a, b]) {
        expect(logMsgs(p)).toEqual(['multicast interface gone', 'multicast interface back']);
        expect((await stats(p)).rejoins).toBe(1);
      }
      expect(a.all('log').find((e) => e.msg === 'multicast interface back')).toMatchObject({
        component: 'multicast',
        iface: names[0],
        reason: 'reappeared',
        connected: true,
      });
    },
    60_000,
  );

  it.each([
    { family: 'IPv4', group: DEFAULT_GROUP_IPV4 },
    { family: 'IPv6', group: DEFAULT_GROUP_IPV6 },
  ])(
    '$family: link down and up keeps the receive socket (the kernel kept the membership); traffic resumes both ways',
    async ({ group }) => {
      const [a, b] = await Promise.all([
        peer(nsA, { group, interface: names[0] }),
        peer(nsB, { group, interface: names[1] }),
      ]);
      expect(await oneWay(a, b)).toBe(5);
      await ip(['-n', nsA.name, 'link', 'set', names[0], 'down']);
      await a.waitFor('log', { pred: (e) => e.msg === 'multicast interface gone' });
      await ip(['-n', nsA.name, 'link', 'set', names[0], 'up']);
      // Linux flushed the IPv4 routes and IPv6 addresses of the interface on down
      // (keep_addr_on_down 0): restore them as a network manager would (the next test needs the
      // route; the peers here name the interface and need neither).
      await ip(['-n', nsA.name, 'route', 'replace', '224.0.0.0/4', 'dev', names[0]]);
      await ip(['-n', nsA.name, '-6', 'addr', 'replace', A.ipv6!, 'dev', names[0], 'nodad']);
      const back = await a.waitFor('log', {
        pred: (e) => e.msg === 'multicast interface back',
        timeoutMs: 10_000,
      });
      expect(back).toMatchObject({ reason: 'reappeared', reopened: { receive: false } });
      await bothWaysEventually(a, b);
      expect(await oneWay(a, b)).toBe(5);
      expect(await oneWay(b, a)).toBe(5);
    },
    60_000,
  );

  it("no interface named (the kernel's choice, IPv4 route via the veth): re-joins after re-creation", async () => {
    const [a, b] = await Promise.all([
      peer(nsA, { group: DEFAULT_GROUP_IPV4 }),
      peer(nsB, { group: DEFAULT_GROUP_IPV4 }),
    ]);
    expect(await oneWay(a, b)).toBe(5);
    await recreatePair(); // addVethPair adds the 224.0.0.0/4 route again
    await bothWaysEventually(a, b);
    expect(await oneWay(a, b)).toBe(5);
    expect(await oneWay(b, a)).toBe(5);
    const st = await stats(a);
    expect(st.rejoins).toBeGreaterThanOrEqual(1);
    expect(
      a
        .all('log')
        .filter((e) => e.msg === 'multicast interface back')
        .at(-1),
    ).toMatchObject({
      iface: null,
      reason: 'interfaces_changed',
    });
  }, 60_000);
});
