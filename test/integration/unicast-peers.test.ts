/**
 * Unicast peers (multicast.peers, issue 13 section 1) on a real kernel: two LANs, each a Linux
 * bridge in a router namespace that forwards unicast (ip_forward=1) but not multicast (no
 * multicast routing), with on each LAN our `dump` (or a node peer around MulticastBus) and a
 * python-can 4.1 listener, each in a namespace of its own (a host of its own: a unicast datagram is
 * delivered to one socket only of those sharing a port, see README "Unicast peers").
 *
 *   LAN 1 10.81.1.0/24: d1 .1 (ours), p1 .2 (python-can)      router .254 on both
 *   LAN 2 10.81.2.0/24: d2 .1 (ours), p2 .2 (python-can), x2 .3 (a stranger)
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GROUP_IPV4, DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import { ip, NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { fixturePath, PYTHON, skipWithoutPythonCan } from '../support/python-can.js';
import type { FrameJson } from '../support/frame-json.js';
import { until } from '../support/until.js';

const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url)).replace(
  /\/dist\/bin\//,
  '/bin/',
);
const NODE_PEER = fileURLToPath(
  new URL('../../dist/test/fixtures/multicast-peer.js', import.meta.url),
);
const GROUP = DEFAULT_GROUP_IPV4;

function skipReason(): string | null {
  const reason = netnsSkipReason('unicast peer tests');
  if (reason !== null) return reason;
  if (skipWithoutPythonCan()) return 'python-can missing';
  if (!existsSync(NODE_PEER)) throw new Error(`${NODE_PEER} is missing: run \`npm run build\``);
  return null;
}
const skip = skipReason() !== null;

const ADDR = {
  d1: '10.81.1.1',
  p1: '10.81.1.2',
  d2: '10.81.2.1',
  p2: '10.81.2.2',
  x2: '10.81.2.3',
} as const;
type Host = keyof typeof ADDR;

function collect(child: ChildProcess) {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { out: () => out, err: () => err, exit };
}

const ids = (frames: FrameJson[]) => frames.map((f) => f.arbitration_id).sort((a, b) => a - b);
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as FrameJson);
const frame = (id: number, channel: string): FrameJson => ({
  timestamp: 0,
  arbitration_id: id,
  is_extended_id: false,
  is_remote_frame: false,
  is_error_frame: false,
  channel,
  dlc: 1,
  data: '01',
  is_fd: false,
  bitrate_switch: false,
  error_state_indicator: false,
});

interface PeerStatsJson {
  peer: string;
  address: string | null;
  sent: number;
  received: number;
  lastSeen: number | null;
}

describe.skipIf(skip)('unicast peers across a router that does not forward multicast', () => {
  const lab = skip ? null : new NetnsLab('upr');
  const ns = {} as Record<Host | 'router', Netns>;
  const running: JsonLinesPeer[] = [];
  const hostsDirs: string[] = [];

  beforeAll(async () => {
    if (lab === null) return;
    const router = await lab.createNamespace();
    ns.router = router;
    await lab.run(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const [lan, net] of [
      ['1', '10.81.1'],
      ['2', '10.81.2'],
    ] as const) {
      const br = lab.uniqueName(`r${lan}`);
      // Snooping off: the bridge floods the group to every port, as a plain switch does.
      await ip(['-n', router.name, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
      await ip(['-n', router.name, 'addr', 'add', `${net}.254/24`, 'dev', br]);
      await ip(['-n', router.name, 'link', 'set', br, 'up']);
      for (const host of Object.keys(ADDR) as Host[]) {
        if (!ADDR[host].startsWith(`${net}.`)) continue;
        const hostNs = await lab.createNamespace();
        ns[host] = hostNs;
        const [, routerEnd] = await lab.addVethPair(
          hostNs,
          { ipv4: `${ADDR[host]}/24` },
          router,
          {},
        );
        await ip(['-n', router.name, 'link', 'set', routerEnd, 'master', br]);
        await ip(['-n', hostNs.name, 'route', 'add', 'default', 'via', `${net}.254`]);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.quit().catch(() => undefined)));
    await lab?.destroy();
    for (const dir of hostsDirs) rmSync(dir, { recursive: true, force: true });
  });

  async function python(host: Host): Promise<JsonLinesPeer> {
    const child = lab!.spawn(ns[host], PYTHON, [
      fixturePath('python-can-peer.py'),
      '--group',
      GROUP,
    ]);
    const peer = new JsonLinesPeer(`python-can on ${host}`, child);
    running.push(peer);
    await peer.waitFor('ready');
    return peer;
  }

  async function node(host: Host, options: Record<string, unknown>): Promise<JsonLinesPeer> {
    const child = lab!.spawn(ns[host], process.execPath, [
      NODE_PEER,
      JSON.stringify({ group: GROUP, ...options }),
    ]);
    const peer = new JsonLinesPeer(`node peer on ${host}`, child);
    running.push(peer);
    await peer.waitFor('ready');
    return peer;
  }

  async function peerStats(peer: JsonLinesPeer): Promise<PeerStatsJson[]> {
    const from = peer.events.length;
    peer.command({ cmd: 'stats' });
    const e = await peer.waitFor('stats', { from });
    return (e.stats as { peers: PeerStatsJson[] }).peers;
  }

  function dump(host: Host, args: string[]) {
    const d = collect(
      lab!.spawn(ns[host], process.execPath, [BIN, 'dump', '--json', '-g', GROUP, ...args]),
    );
    return d;
  }

  async function listening(d: ReturnType<typeof dump>): Promise<void> {
    await until(() => d.err().includes('listening'), 'dump to listen', 10_000, { pollMs: 20 });
  }

  function send(host: Host, args: string[]) {
    return lab!.run(ns[host], process.execPath, [BIN, 'send', '-g', GROUP, ...args]);
  }

  it('the group does not cross the router (what the peers are for)', async () => {
    const p2 = await python('p2');
    p2.command({ cmd: 'recv', count: 1, timeout: 2 });
    await p2.waitFor('receiving');
    expect((await send('d1', ['--channel', 'lan1', '100#00'])).code).toBe(0);
    expect(await p2.waitFor('received', { timeoutMs: 10_000 })).toMatchObject({ count: 0 });
    await p2.quit();
  });

  it('send --peer on LAN 1 reaches dump and python-can on LAN 2 exactly once, and back', async () => {
    const [p1, p2] = await Promise.all([python('p1'), python('p2')]);
    for (const p of [p1, p2]) p.command({ cmd: 'recv', count: 3, timeout: 5 });
    await Promise.all([p1.waitFor('receiving'), p2.waitFor('receiving')]);
    const d2 = dump('d2', ['--peer', ADDR.d1, '--timeout', '4']);
    await listening(d2);
    const out = await send('d1', [
      '--peer',
      ADDR.d2,
      '--peer',
      `${ADDR.p2}:43113`,
      '--channel',
      'lan1',
      '111#01',
      '112#02',
      '113#03',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    await d2.exit;
    // Exactly once each: by unicast only, multicast does not cross the router.
    expect(ids(jsonLines(d2.out()))).toEqual([0x111, 0x112, 0x113]);
    for (const p of [p1, p2]) {
      expect(await p.waitFor('received', { timeoutMs: 10_000 })).toMatchObject({ errors: 0 });
      expect(ids(p.all('frame').map((e) => e.frame as FrameJson))).toEqual([0x111, 0x112, 0x113]);
    }

    // And back, from LAN 2 to LAN 1 (p1 hears it through the unicast, not its group).
    const from = p1.events.length;
    p1.command({ cmd: 'recv', count: 2, timeout: 5 });
    await p1.waitFor('receiving', { from });
    const d1 = dump('d1', ['--peer', ADDR.d2, '--count', '2', '--timeout', '10']);
    await listening(d1);
    const back = await send('d2', [
      '--peer',
      ADDR.d1,
      '--peer',
      ADDR.p1,
      '--channel',
      'lan2',
      '221#01',
      '222#02',
    ]);
    expect(back.code).toBe(0);
    expect(await d1.exit).toBe(0);
    expect(ids(jsonLines(d1.out()))).toEqual([0x221, 0x222]);
    expect(await p1.waitFor('received', { from, timeoutMs: 10_000 })).toMatchObject({
      count: 2,
      errors: 0,
    });
    await Promise.all([p1.quit(), p2.quit()]);
  });

  it('drops and counts a datagram from an address that is no peer, and takes the group once', async () => {
    const p1 = await python('p1');
    const d1 = dump('d1', ['--peer', ADDR.d2, '--timeout', '3']);
    await listening(d1);
    // x2 sends to the right address and port, but d1 does not list it.
    expect((await send('x2', ['--peer', ADDR.d1, '--channel', 'x', '555#00'])).code).toBe(0);
    // A group datagram from the LAN arrives once, through the group socket: IP_MULTICAST_ALL off
    // keeps it off the unicast socket (without that, it would be counted as not_a_peer here too).
    p1.command({ cmd: 'send', frames: [frame(0x556, 'p1')] });
    await p1.waitFor('sent');
    await d1.exit;
    expect(ids(jsonLines(d1.out()))).toEqual([0x556]);
    expect(d1.err()).toMatch(/dump: 1 frames, dropped not_a_peer=1\n/);
    await p1.quit();
  });

  it('carries on when a peer goes away and comes back', async () => {
    const a = await node('d1', { peers: [ADDR.d2] });
    let b = await node('d2', { peers: [ADDR.d1] });
    a.command({ cmd: 'send', frames: [frame(0x301, 'a')] });
    await b.waitForCount('frame', 1);
    await b.quit();
    // Nobody listens on d2 now: the datagram is lost and the sender carries on.
    a.command({ cmd: 'send', frames: [frame(0x302, 'a')] });
    await a.waitForCount('sent', 2);
    b = await node('d2', { peers: [ADDR.d1] });
    a.command({ cmd: 'send', frames: [frame(0x303, 'a')] });
    const got = await b.waitForCount('frame', 1);
    expect(got.map((e) => (e.frame as FrameJson).arbitration_id)).toEqual([0x303]);
    b.command({ cmd: 'send', frames: [frame(0x304, 'b')] });
    await a.waitForCount('frame', 1);
    const [stats] = await peerStats(a);
    expect(stats).toMatchObject({ peer: ADDR.d2, sent: 3, received: 1 });
    expect(stats?.lastSeen).toBeGreaterThan(Date.now() / 1000 - 60);
    await Promise.all([a.quit(), b.quit()]);
  });

  it('follows a DNS name whose address changes (the namespace hosts file) and keeps it when the name goes', async () => {
    // `ip netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts (ip-netns(8)); written in
    // place (same inode), so the running process reads the new content at its next lookup.
    const dir = `/etc/netns/${ns.d1.name}`;
    mkdirSync(dir, { recursive: true });
    hostsDirs.push(dir);
    const hosts = `${dir}/hosts`;
    writeFileSync(hosts, `127.0.0.1 localhost\n${ADDR.d2} site-b\n`);
    const b = await node('d2', { peers: [ADDR.d1] });
    const p2 = await python('p2');
    const a = await node('d1', { peers: ['site-b'], peerResolveMs: 1000 });
    expect((await peerStats(a))[0]?.address).toBe(ADDR.d2);
    a.command({ cmd: 'send', frames: [frame(0x401, 'a')] });
    await b.waitForCount('frame', 1);

    p2.command({ cmd: 'recv', count: 1, timeout: 8 });
    await p2.waitFor('receiving');
    writeFileSync(hosts, `127.0.0.1 localhost\n${ADDR.p2} site-b\n`);
    const deadline = Date.now() + 10_000;
    while ((await peerStats(a))[0]?.address !== ADDR.p2) {
      if (Date.now() > deadline) throw new Error('site-b was not resolved to its new address');
      await new Promise((r) => setTimeout(r, 200));
    }
    a.command({ cmd: 'send', frames: [frame(0x402, 'a')] });
    const received = await p2.waitFor('received', { timeoutMs: 15_000 });
    expect(received).toMatchObject({ count: 1, errors: 0 });
    expect(ids(p2.all('frame').map((e) => e.frame as FrameJson))).toEqual([0x402]);

    // The name gone from the hosts file: the lookup fails and the last answer stays.
    writeFileSync(hosts, '127.0.0.1 localhost\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await peerStats(a))[0]?.address).toBe(ADDR.p2);
    expect(b.all('frame').map((e) => (e.frame as FrameJson).arbitration_id)).toEqual([0x401]);
    await Promise.all([a.quit(), b.quit(), p2.quit()]);
  });
});

describe.skipIf(skip)('unicast peers over IPv6 on one link', () => {
  const lab = skip ? null : new NetnsLab('upv');
  const running: JsonLinesPeer[] = [];
  let nsA: Netns;
  let nsB: Netns;
  let ifA: string;

  beforeAll(async () => {
    if (lab === null) return;
    nsA = await lab.createNamespace();
    nsB = await lab.createNamespace();
    [ifA] = await lab.addVethPair(nsA, { ipv6: 'fd82::1/64' }, nsB, { ipv6: 'fd82::2/64' });
  });

  afterAll(async () => {
    await Promise.all(running.map((p) => p.quit().catch(() => undefined)));
    await lab?.destroy();
  });

  it("takes a peer's unicast, and its group datagrams once (IPV6_MULTICAST_ALL off keeps the group off the unicast socket)", async () => {
    const a = new JsonLinesPeer(
      'node peer A',
      lab!.spawn(nsA, process.execPath, [
        NODE_PEER,
        JSON.stringify({ group: DEFAULT_GROUP_IPV6, interface: ifA, peers: ['[fd82::2]'] }),
      ]),
    );
    running.push(a);
    await a.waitFor('ready');
    const p = new JsonLinesPeer(
      'python-can on B',
      lab!.spawn(nsB, PYTHON, [fixturePath('python-can-peer.py'), '--group', DEFAULT_GROUP_IPV6]),
    );
    running.push(p);
    await p.waitFor('ready');
    // From the peer's address: once by its group, once by unicast (a peer-only send).
    p.command({ cmd: 'send', frames: [frame(0x601, 'py')] });
    const res = await lab!.run(nsB, process.execPath, [
      BIN,
      'send',
      '-g',
      'none',
      '--peer',
      '[fd82::1]',
      '--channel',
      'uni',
      '602#02',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const frames = await a.waitForCount('frame', 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(ids(a.all('frame').map((e) => e.frame as FrameJson))).toEqual([0x601, 0x602]);
    const from = a.events.length;
    a.command({ cmd: 'stats' });
    const stats = (await a.waitFor('stats', { from })).stats as {
      dropped: Record<string, number>;
      peers: PeerStatsJson[];
    };
    expect(stats.dropped).toEqual({});
    expect(stats.peers).toMatchObject([{ peer: '[fd82::2]', address: 'fd82::2', received: 1 }]);
    expect(frames).toHaveLength(2);
    await Promise.all([a.quit(), p.quit()]);
  });
});
