/**
 * Faults the daemon rides through (issue 5 §1), end to end on a real kernel: two "hosts" (network
 * namespaces joined by a veth pair carrying the IPv4 group), each with a vcan, a daemon and a
 * traffic agent (bench/soak-agent.ts) writing numbered frames and checking what arrives. The same
 * two daemons live through every case, in order; each case measures the change of the daemons'
 * periodic stats lines (stats.intervalMs 500) and the agents' counts.
 *
 * A is the daemon under fault: its CAN interface goes down and up, is deleted and re-created, goes
 * bus-off, its network interface goes down and loses its address, is deleted and re-created, it
 * gets a flood of garbage, and its CAN side is slowed down by a tc rate limit. A second pair of
 * hosts carries the IPv6 group: its network interface goes down and up, and is deleted and
 * re-created.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentReport,
  agentSend,
  agentStop,
  spawnAgent,
  spawnDaemon,
  waitReceived,
} from '../support/soak-lab.js';
import { cpuMs, MiB, rssBytes } from '../support/proc-stats.js';
import { DEFAULT_GROUP_IPV6 } from '../../src/multicast/defaults.js';
import type { JsonLinesPeer } from '../support/json-lines-peer.js';
import { ip, NetnsLab } from '../support/netns.js';
import { until } from '../support/until.js';
import type { LinkAddresses, Netns } from '../support/netns.js';
import { skipReason } from './can-helpers.js';
import { addVcanIn } from './daemon-helpers.js';
import type { DaemonProcess } from './daemon-helpers.js';

const skip = skipReason() !== null;
const GROUP = '239.74.163.2';
const PORT = '43113';
const RAW = fileURLToPath(
  new URL('../../dist/test/fixtures/send-raw-datagrams.js', import.meta.url),
);
const FLOOD = fileURLToPath(
  new URL('../../dist/test/fixtures/flood-datagrams.js', import.meta.url),
);
const CAN = 'vcanf';
const QUEUE = 256;
const STALE_MS = 500;

type Log = Record<string, unknown>;
type Stats = {
  toCan: { frames: number; dropped: Record<string, number> };
  toMulticast: { frames: number; dropped: Record<string, number> };
  can: {
    txQueued: number;
    txDropped: Record<string, number>;
    reopens: number;
    rxKernelDrops: number;
  };
  multicast: {
    sendErrors: number;
    datagrams: number;
    kernelDrops: number;
    rejoins: number;
    dropped: Record<string, number>;
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `until` with this file's defaults: a minute, every 100 ms. */
const waitUntil = (cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> =>
  until(cond, what, timeoutMs, { pollMs: 100 });

const sum = (o: Record<string, number> | undefined) =>
  Object.values(o ?? {}).reduce((a, b) => a + b, 0);

const statsLines = (d: DaemonProcess) => d.logs.filter((l) => l.msg === 'stats');

/** The next stats line logged from now on (so it counts everything done before). */
async function freshStats(d: DaemonProcess): Promise<Stats> {
  const n = statsLines(d).length;
  await waitUntil(() => statsLines(d).length >= n + 2, `${d.name} stats`, 60_000);
  return statsLines(d).at(-1) as unknown as Stats;
}

const stateLogs = (d: DaemonProcess, msg: string) =>
  d.logs.filter((l) => l.msg === msg).map((l) => l.state);

/** Waits for a log line of `d` (from index `from` on), failing at once if the daemon exits. */
async function waitLog(d: DaemonProcess, pred: (l: Log) => boolean, what: string, from = 0) {
  await waitUntil(() => d.logs.slice(from).some(pred) || d.exitCode !== null, what, 60_000).catch(
    (err) => {
      const states = d.logs.filter(
        (l) => String(l.msg).endsWith(' state') || l.component === 'multicast',
      );
      throw new Error(`${(err as Error).message}; state lines: ${JSON.stringify(states)}`);
    },
  );
  expect(d.exitCode, d.detail()).toBeNull();
}

/** The multicast interface lines ('multicast interface gone' / 'back') of `d` from index `from` on. */
const netIfaceLogs = (d: DaemonProcess, from = 0) =>
  d.logs.slice(from).filter((l) => String(l.msg).startsWith('multicast interface'));

let nextId = 0x100;

/** `count` frames each way at `rate` between two agents; how many distinct frames arrived each way. */
async function bothWaysBetween(
  agentA: JsonLinesPeer,
  agentB: JsonLinesPeer,
  count: number,
  rate = 100,
): Promise<{ toA: number; toB: number }> {
  const idToA = nextId++;
  const idToB = nextId++;
  await Promise.all([agentSend(agentB, idToA, count, rate), agentSend(agentA, idToB, count, rate)]);
  const [ra, rb] = await Promise.all([
    waitReceived(agentA, idToA, count),
    waitReceived(agentB, idToB, count),
  ]);
  return { toA: ra.rx[idToA]?.unique ?? 0, toB: rb.rx[idToB]?.unique ?? 0 };
}

/**
 * Deletes the veth pair (`ip link del` on one end takes both) and creates it again under the same
 * names and addresses, once daemon `d` logged the loss: the kernel gives the new pair new indexes.
 */
interface HostPair {
  daemonA: DaemonProcess;
  daemonB: DaemonProcess;
  agentA: JsonLinesPeer;
  agentB: JsonLinesPeer;
}

/**
 * A daemon on each end of the veth pair (its own sender id: the default comes from the host name,
 * which both namespaces share) and a traffic agent on each vcan. Returned at once so afterAll can
 * stop whatever started; `ready` resolves when all four are up.
 */
function spawnPair(
  lab: NetnsLab,
  [nsA, vethA]: [Netns, string],
  [nsB, vethB]: [Netns, string],
  common: string[],
  suffix: string,
): HostPair & { ready: Promise<unknown> } {
  const daemon = (ns: Netns, veth: string, side: string) =>
    spawnDaemon(lab, ns, `daemon ${side}${suffix}`, [
      ...common,
      '--interface',
      veth,
      '--sender-id',
      `fault-${side.toLowerCase()}${suffix}`,
    ]);
  const pair = {
    daemonA: daemon(nsA, vethA, 'A'),
    daemonB: daemon(nsB, vethB, 'B'),
    agentA: spawnAgent(lab, nsA, CAN, `agent A${suffix}`),
    agentB: spawnAgent(lab, nsB, CAN, `agent B${suffix}`),
  };
  const ready = Promise.all([
    pair.daemonA.ready(),
    pair.daemonB.ready(),
    pair.agentA.waitFor('ready', { timeoutMs: 120_000 }),
    pair.agentB.waitFor('ready', { timeoutMs: 120_000 }),
  ]);
  return { ...pair, ready };
}

/** Stops what `spawnPair` started (any part may be missing when start-up failed), then the lab. */
async function stopPair(lab: NetnsLab | null, p: Partial<HostPair>): Promise<void> {
  const agents = [p.agentA, p.agentB].filter((a) => a !== undefined);
  await Promise.all(agents.map((a) => a.quit().catch(() => undefined)));
  const daemons = [p.daemonA, p.daemonB].filter((d) => d !== undefined);
  await Promise.all(daemons.map((d) => d.stop()));
  await lab?.destroy();
}

async function recreateVethPair(
  lab: NetnsLab,
  d: DaemonProcess,
  [nsA, aAddrs, nsB, bAddrs]: [Netns, LinkAddresses, Netns, LinkAddresses],
  names: [string, string],
  whileGone: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const from = d.logs.length;
  await ip(['-n', nsA.name, 'link', 'del', names[0]]);
  await waitLog(d, (l) => l.msg === 'multicast interface gone', 'multicast interface gone', from);
  await whileGone();
  await lab.addVethPair(nsA, aAddrs, nsB, bAddrs, names);
}

describe.skipIf(skip)('daemon faults on a real kernel', () => {
  const lab = skip ? null : new NetnsLab('flt');
  let nsA: Netns;
  let nsB: Netns;
  let vethA: string;
  let vethB: string;
  let daemonA: DaemonProcess;
  let daemonB: DaemonProcess;
  let agentA: JsonLinesPeer;
  let agentB: JsonLinesPeer;
  const addrA: LinkAddresses = { ipv4: '10.93.0.1/24' };
  const addrB: LinkAddresses = { ipv4: '10.93.0.2/24' };

  const inA = (cmd: string, args: string[]) => lab!.run(nsA, cmd, args, { timeoutMs: 60_000 });
  const bothWays = (count: number, rate = 100) => bothWaysBetween(agentA, agentB, count, rate);

  beforeAll(async () => {
    nsA = await lab!.createNamespace();
    nsB = await lab!.createNamespace();
    [vethA, vethB] = await lab!.addVethPair(nsA, addrA, nsB, addrB);
    await Promise.all([addVcanIn(nsA, CAN), addVcanIn(nsB, CAN)]);
    const common = [
      '--can',
      CAN,
      '--group',
      GROUP,
      '--set',
      'stats.intervalMs=500',
      '--set',
      `txQueue.size=${QUEUE}`,
      '--set',
      `txQueue.staleMs=${STALE_MS}`,
    ];
    const pair = spawnPair(lab!, [nsA, vethA], [nsB, vethB], common, '');
    ({ daemonA, daemonB, agentA, agentB } = pair);
    await pair.ready;
    // Both ways work before any fault.
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
  });

  afterAll(() => stopPair(lab, { daemonA, daemonB, agentA, agentB }));

  it('CAN interface down then up: keeps running, logs each change once, drops what waited (stale), resumes both ways', async () => {
    const before = await freshStats(daemonA);
    await ip(['-n', nsA.name, 'link', 'set', CAN, 'down']);
    await waitLog(daemonA, (l) => l.msg === 'CAN interface state' && l.state === 'down', 'down');
    const lostId = nextId++;
    await agentSend(agentB, lostId, 30, 100);
    await sleep(STALE_MS + 1000);
    await ip(['-n', nsA.name, 'link', 'set', CAN, 'up']);
    await waitLog(daemonA, (l) => l.msg === 'CAN interface state' && l.state === 'up', 'up');
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const after = await freshStats(daemonA);
    expect(after.toCan.dropped.stale ?? 0, daemonA.detail()).toBe(
      (before.toCan.dropped.stale ?? 0) + 30,
    );
    // Nothing that waited while the interface was down is written late.
    expect((await agentReport(agentA)).rx[lostId]).toBeUndefined();
    expect(stateLogs(daemonA, 'CAN interface state')).toEqual(['down', 'up']);
  });

  it('CAN interface deleted then re-created: reopens by itself, logs gone/back/up once, resumes both ways', async () => {
    const before = await freshStats(daemonA);
    await ip(['-n', nsA.name, 'link', 'del', CAN]);
    await waitLog(daemonA, (l) => l.msg === 'CAN interface state' && l.state === 'gone', 'gone');
    const lostId = nextId++;
    await agentSend(agentB, lostId, 30, 100);
    await sleep(STALE_MS + 1000);
    await addVcanIn(nsA, CAN);
    // Reopened when it exists again ('back', usually still down), then 'up' at the next poll.
    await waitUntil(() => {
      const states = stateLogs(daemonA, 'CAN interface state').slice(2);
      return states.includes('back') && states.at(-1) === 'up';
    }, 'back and up');
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const after = await freshStats(daemonA);
    expect(after.toCan.dropped.stale ?? 0, daemonA.detail()).toBe(
      (before.toCan.dropped.stale ?? 0) + 30,
    );
    expect(after.can.reopens).toBe(before.can.reopens + 1);
    expect((await agentReport(agentA)).rx[lostId]).toBeUndefined();
    // `ip link del` takes the interface down first (NETDEV_DOWN, then unregister): the socket may
    // see that as 'down' before 'gone'.
    expect(stateLogs(daemonA, 'CAN interface state').slice(2).join()).toMatch(
      /^(down,)?gone,back,up$/,
    );
  });

  it('bus-off and error-passive (error frames): logged once as state, TX dropped while bus-off (counted), resumes on restart', async () => {
    const before = await freshStats(daemonA);
    // linux/can/error.h: CAN_ERR_FLAG | CAN_ERR_BUSOFF.
    await inA('cansend', [CAN, '20000040#0000000000000000']);
    await waitLog(daemonA, (l) => l.msg === 'CAN bus state' && l.state === 'bus-off', 'bus-off');
    const lostId = nextId++;
    await agentSend(agentB, lostId, 30, 100);
    // CAN_ERR_CRTL with CAN_ERR_CRTL_TX_PASSIVE in data[1]: does not end bus-off.
    await inA('cansend', [CAN, '20000004#0020000000000000']);
    await sleep(1500);
    // CAN_ERR_RESTARTED: the controller is back (error-active).
    await inA('cansend', [CAN, '20000100#0000000000000000']);
    await waitLog(
      daemonA,
      (l) => l.msg === 'CAN bus state' && l.state === 'error-active',
      'restarted',
    );
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    // Error-passive and back (CAN_ERR_CRTL_RX_PASSIVE, then CAN_ERR_CRTL_ACTIVE), twice each.
    await inA('sh', [
      '-c',
      `for f in 0010 0010 0040 0040; do cansend ${CAN} 20000004#\${f}000000000000; done`,
    ]);
    await waitUntil(() => stateLogs(daemonA, 'CAN bus state').length >= 4, 'passive and active');
    const after = await freshStats(daemonA);
    expect(after.toCan.dropped.bus_off ?? 0, daemonA.detail()).toBe(
      (before.toCan.dropped.bus_off ?? 0) + 30,
    );
    expect((await agentReport(agentA)).rx[lostId]).toBeUndefined();
    expect(stateLogs(daemonA, 'CAN bus state')).toEqual([
      'bus-off',
      'error-active',
      'error-passive',
      'error-active',
    ]);
    // Error frames are not forwarded by default (toMulticast.errorFrames false): dropped, counted.
    expect(after.toMulticast.dropped.error_frame ?? 0).toBeGreaterThanOrEqual(
      (before.toMulticast.dropped.error_frame ?? 0) + 7,
    );
  });

  it('network interface down/up and address removed/re-added: sends fail without a crash (counted), traffic resumes', async () => {
    const before = await freshStats(daemonA);
    await ip(['-n', nsA.name, 'link', 'set', vethA, 'down']);
    const downIds = [nextId++, nextId++];
    await Promise.all([
      agentSend(agentA, downIds[0]!, 30, 100),
      agentSend(agentB, downIds[1]!, 30, 100),
    ]);
    await ip(['-n', nsA.name, 'link', 'set', vethA, 'up']);
    await sleep(1000);
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const mid = await freshStats(daemonA);
    await ip(['-n', nsA.name, 'addr', 'del', '10.93.0.1/24', 'dev', vethA]);
    const noAddrId = nextId++;
    await agentSend(agentA, noAddrId, 30, 100);
    await ip(['-n', nsA.name, 'addr', 'add', '10.93.0.1/24', 'dev', vethA]);
    await sleep(1000);
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const after = await freshStats(daemonA);
    console.log(
      `network faults: sendErrors ${before.multicast.sendErrors} -> ${mid.multicast.sendErrors} (link down) -> ${after.multicast.sendErrors} (address removed)`,
    );
    // Without its address the kernel refuses the sends (EINVAL/EADDRNOTAVAIL): counted, not fatal.
    expect(after.multicast.sendErrors).toBeGreaterThan(mid.multicast.sendErrors);
    expect(daemonA.exitCode).toBeNull();
  });

  it('network interface deleted and re-created (same name and address, new index): re-joins by itself, logs gone/back once, counts the re-join and what it could not send, resumes both ways', async () => {
    const before = await freshStats(daemonA);
    const beforeB = await freshStats(daemonB);
    const [fromA, fromB] = [daemonA.logs.length, daemonB.logs.length];
    const lostId = nextId++;
    // While the interface is gone nothing goes out: a CAN stream meanwhile is counted as failed sends.
    await recreateVethPair(lab!, daemonA, [nsA, addrA, nsB, addrB], [vethA, vethB], async () => {
      await agentSend(agentA, lostId, 30, 100);
    });
    for (const d of [daemonA, daemonB]) {
      await waitLog(
        d,
        (l) => l.msg === 'multicast interface back',
        `${d.name} back`,
        d === daemonA ? fromA : fromB,
      );
    }
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const [after, afterB] = [await freshStats(daemonA), await freshStats(daemonB)];
    expect(after.multicast.rejoins, daemonA.detail()).toBe(before.multicast.rejoins + 1);
    expect(afterB.multicast.rejoins, daemonB.detail()).toBe(beforeB.multicast.rejoins + 1);
    expect(after.multicast.sendErrors).toBeGreaterThan(before.multicast.sendErrors);
    expect((await agentReport(agentB)).rx[lostId]).toBeUndefined();
    // Logged once each (from the bus's child logger), the new interface's sockets opened afresh.
    const logs = netIfaceLogs(daemonA, fromA);
    expect(logs.map((l) => l.msg)).toEqual([
      'multicast interface gone',
      'multicast interface back',
    ]);
    expect(logs[0]).toMatchObject({ component: 'multicast', iface: vethA });
    expect(logs[1]).toMatchObject({
      component: 'multicast',
      iface: vethA,
      reason: 'reappeared',
      reopened: { receive: true, send: true },
      connected: true,
    });
    expect(daemonA.exitCode).toBeNull();
  });

  it('a flood of malformed datagrams: valid frames keep flowing, CPU and memory bounded, drops counted, few warnings', async () => {
    const pid = daemonA.child.pid!;
    const before = await freshStats(daemonA);
    const warnsBefore = daemonA.logs.filter((l) => l.level === 'warn').length;
    const rss0 = rssBytes(pid);
    const cpu0 = cpuMs(pid);
    const validId = nextId++;
    agentB.command({ cmd: 'stream', id: validId, rate: 50 });
    let rssMax = rss0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 200);
    const garbage = ['00', 'c1', '8b', Buffer.from('hello').toString('hex'), 'ff'.repeat(40)];
    const t0 = Date.now();
    const res = await lab!.run(nsB, process.execPath, [RAW, GROUP, PORT, '1500', ...garbage], {
      timeoutMs: 120_000,
    });
    const floodS = (Date.now() - t0) / 1000;
    expect(res.stdout.trim(), res.stderr).toBe(JSON.stringify({ sent: 7500 }));
    await sleep(1000);
    const sent = await agentStop(agentB, validId);
    const got = await waitReceived(agentA, validId, sent.count - sent.dropped, 30_000);
    clearInterval(sampler);
    const after = await freshStats(daemonA);
    const cpu = cpuMs(pid) - cpu0;
    const datagrams = after.multicast.datagrams - before.multicast.datagrams;
    const rx = got.rx[validId];
    console.log(
      `flood: 7500 datagrams in ${floodS.toFixed(1)} s; daemon read ${datagrams}, CPU ${cpu} ms ` +
        `(${((cpu / Math.max(1, datagrams)) * 1000).toFixed(0)} us each), RSS ${(rss0 / MiB).toFixed(1)} -> max ` +
        `${(rssMax / MiB).toFixed(1)} MiB; valid ${rx?.unique}/${sent.count}`,
    );
    // Valid frames keep flowing: emulated, the daemon spends its CPU on the garbage and the
    // kernel drops datagrams of both kinds from the full socket buffer; natively none are lost.
    expect(rx?.duplicates).toBe(0);
    expect(rx?.unique ?? 0).toBeGreaterThanOrEqual((sent.count - sent.dropped) / 2);
    // Drops counted by reason, about one per garbage datagram the daemon read.
    const dropped = sum(after.multicast.dropped) - sum(before.multicast.dropped);
    expect(dropped).toBeGreaterThanOrEqual(datagrams - (rx?.unique ?? 0) - 10);
    expect(dropped).toBeGreaterThan(1000);
    expect(rssMax - rss0).toBeLessThan(40 * MiB);
    // Bounded CPU per datagram (natively some microseconds; emulated on a loaded host up to ~2.5 ms).
    expect(cpu / datagrams).toBeLessThan(10);
    expect(daemonA.logs.filter((l) => l.level === 'warn').length - warnsBefore).toBeLessThanOrEqual(
      3,
    );
    // And all of them once the flood is over.
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
  }, 300_000);

  it('a paced flood of every malformed kind at 3000/s: no valid frame lost either way at 200/s, drops counted by reason, bounded CPU and memory', async () => {
    const pid = daemonA.child.pid!;
    const [before, beforeB] = await Promise.all([freshStats(daemonA), freshStats(daemonB)]);
    const warnsBefore = daemonA.logs.filter((l) => l.level === 'warn').length;
    const rss0 = rssBytes(pid);
    const cpu0 = cpuMs(pid);
    let rssMax = rss0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 200);
    const toA = nextId++;
    const toB = nextId++;
    agentB.command({ cmd: 'stream', id: toA, rate: 200 });
    agentA.command({ cmd: 'stream', id: toB, rate: 200 });
    const res = await lab!.run(nsB, process.execPath, [FLOOD, GROUP, PORT, '3000', '10'], {
      timeoutMs: 120_000,
    });
    const flood = JSON.parse(res.stdout) as {
      sent: number;
      rate: number;
      byReason: Record<string, number>;
    };
    const [sentToA, sentToB] = await Promise.all([agentStop(agentB, toA), agentStop(agentA, toB)]);
    const [gotA, gotB] = await Promise.all([
      waitReceived(agentA, toA, sentToA.count, 30_000),
      waitReceived(agentB, toB, sentToB.count, 30_000),
    ]);
    clearInterval(sampler);
    const [after, afterB] = await Promise.all([freshStats(daemonA), freshStats(daemonB)]);
    const cpu = cpuMs(pid) - cpu0;
    const datagrams = after.multicast.datagrams - before.multicast.datagrams;
    // B shares its namespace with the flood generator, so the flood reaches B too (multicast
    // loopback): B's side is part of the valid frames' path to B.
    const bSide = {
      kernelDrops: afterB.multicast.kernelDrops - beforeB.multicast.kernelDrops,
      datagrams: afterB.multicast.datagrams - beforeB.multicast.datagrams,
      toCanDropped: sum(afterB.toCan.dropped) - sum(beforeB.toCan.dropped),
      txDropped: sum(afterB.can.txDropped) - sum(beforeB.can.txDropped),
      aToMulticastDropped: sum(after.toMulticast.dropped) - sum(before.toMulticast.dropped),
      aSendErrors: after.multicast.sendErrors - before.multicast.sendErrors,
      aCanRxKernelDrops: after.can.rxKernelDrops - before.can.rxKernelDrops,
      agentRxKernelDrops: { A: gotA.rxKernelDrops, B: gotB.rxKernelDrops },
    };
    console.log(`paced flood, B side: ${JSON.stringify(bSide)}`);
    console.log(
      `paced flood: ${flood.sent} datagrams at ${flood.rate.toFixed(0)}/s; daemon A read ${datagrams}, ` +
        `CPU ${cpu} ms (${((cpu / Math.max(1, datagrams)) * 1000).toFixed(0)} us each), kernel drops ` +
        `${after.multicast.kernelDrops - before.multicast.kernelDrops}, RSS ${(rss0 / MiB).toFixed(1)} -> max ` +
        `${(rssMax / MiB).toFixed(1)} MiB; valid to A ${gotA.rx[toA]?.unique}/${sentToA.count}, ` +
        `to B ${gotB.rx[toB]?.unique}/${sentToB.count}`,
    );
    // The generator kept its pace (the flood really was 3000/s).
    expect(flood.rate).toBeGreaterThan(3000 * 0.95);
    // Not one valid frame lost, either way, and none twice.
    expect(sentToA.dropped + sentToB.dropped).toBe(0);
    expect(gotA.rx[toA]).toMatchObject({ unique: sentToA.count, duplicates: 0 });
    expect(gotB.rx[toB]).toMatchObject({ unique: sentToB.count, duplicates: 0 });
    expect(sentToA.count).toBeGreaterThan(1500);
    // Every malformed datagram read and dropped under its reason; the kernel dropped none.
    expect(after.multicast.kernelDrops - before.multicast.kernelDrops).toBe(0);
    for (const [reason, n] of Object.entries(flood.byReason)) {
      const counted =
        (after.multicast.dropped[reason] ?? 0) - (before.multicast.dropped[reason] ?? 0);
      expect([reason, counted]).toEqual([reason, n]);
    }
    expect(rssMax - rss0).toBeLessThan(40 * MiB);
    // Bounded CPU per datagram read (emulated).
    expect(cpu / datagrams).toBeLessThan(2);
    expect(daemonA.logs.filter((l) => l.level === 'warn').length - warnsBefore).toBeLessThanOrEqual(
      3,
    );
  }, 300_000);

  it('a slow CAN side (tc tbf 2 kbit) under a fast network side: bounded queue, stale drops, flat memory, never blocks; bus-off drops the backlog', async () => {
    const pid = daemonA.child.pid!;
    await inA('tc', [
      'qdisc',
      'add',
      'dev',
      CAN,
      'root',
      'tbf',
      'rate',
      '2kbit',
      'burst',
      '256',
      'latency',
      '50ms',
    ]);
    try {
      const before = await freshStats(daemonA);
      const rss0 = rssBytes(pid);
      let rssMax = rss0;
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 200);
      const fastId = nextId++;
      const statsBefore = statsLines(daemonA).length;
      // 2 kbit/s is about 15 classic frames/s (16 bytes each). With frames going stale after
      // STALE_MS the queue settles near (rate - 15) * STALE_MS: at 400/s about 190 > QUEUE / 2.
      // (At 200/s it settled near 92 and only a loaded VM's bursts pushed it past 128.)
      agentB.command({ cmd: 'stream', id: fastId, rate: 400 });
      await waitUntil(
        () => (statsLines(daemonA).at(-1) as unknown as Stats).can.txQueued > QUEUE / 2,
        'a TX backlog',
        60_000,
      );
      // Bus-off while the backlog is full: it is dropped, not flushed later. The error frame goes
      // through the same rate limit (cansend gets ENOBUFS while the qdisc is full: retry).
      const retry = (frame: string) =>
        inA('sh', [
          '-c',
          `i=0; until cansend ${CAN} ${frame}; do i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.02; done`,
        ]);
      expect((await retry('20000040#0000000000000000')).code).toBe(0);
      await waitLog(
        daemonA,
        (l) => l.msg === 'CAN bus state' && l.state === 'bus-off' && Number(l.dropped) > 0,
        'bus-off with a backlog',
      );
      expect((await retry('20000100#0000000000000000')).code).toBe(0);
      await sleep(2000);
      const sent = await agentStop(agentB, fastId);
      await sleep(STALE_MS + 1500);
      clearInterval(sampler);
      const after = await freshStats(daemonA);
      const lines = statsLines(daemonA).slice(statsBefore) as unknown as Stats[];
      const got = (await agentReport(agentA)).rx[fastId];
      const drops = (k: string) => (after.toCan.dropped[k] ?? 0) - (before.toCan.dropped[k] ?? 0);
      console.log(
        `slow CAN: sent ${sent.count}, written ${got?.unique ?? 0}, dropped stale ${drops('stale')}, queue_full ${drops('queue_full')}, bus_off ${drops('bus_off')}; ` +
          `max queue ${Math.max(...lines.map((l) => l.can.txQueued))}; RSS ${(rss0 / MiB).toFixed(1)} -> max ${(rssMax / MiB).toFixed(1)} MiB; ${lines.length} stats lines`,
      );
      expect(Math.max(...lines.map((l) => l.can.txQueued))).toBeLessThanOrEqual(QUEUE);
      expect(drops('stale')).toBeGreaterThan(0);
      expect(drops('bus_off')).toBeGreaterThan(0);
      expect(got?.duplicates ?? 0).toBe(0);
      expect(rssMax - rss0).toBeLessThan(40 * MiB);
      // Nothing blocks: the stats line kept coming every 500 ms (a few missed under emulation).
      expect(lines.length).toBeGreaterThanOrEqual(6);
    } finally {
      await inA('tc', ['qdisc', 'del', 'dev', CAN, 'root']);
    }
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
  });

  it('stops with exit 0 and final stats counting what it could not deliver', async () => {
    const [a, b] = await Promise.all([daemonA.stop(), daemonB.stop()]);
    expect(a.code, daemonA.detail()).toBe(0);
    expect(b.code, daemonB.detail()).toBe(0);
    const stats = a.stats as unknown as Stats;
    expect(stats.toCan.dropped.stale).toBeGreaterThanOrEqual(60);
    expect(stats.toCan.dropped.bus_off).toBeGreaterThanOrEqual(30);
    expect(stats.multicast.sendErrors).toBeGreaterThan(0);
  });
});

describe.skipIf(skip)('daemon network interface faults over IPv6 on a real kernel', () => {
  const lab = skip ? null : new NetnsLab('flsv');
  let nsA: Netns;
  let nsB: Netns;
  let vethA: string;
  let vethB: string;
  let daemonA: DaemonProcess;
  let daemonB: DaemonProcess;
  let agentA: JsonLinesPeer;
  let agentB: JsonLinesPeer;
  const addrA: LinkAddresses = { ipv6: 'fd93::1/64' };
  const addrB: LinkAddresses = { ipv6: 'fd93::2/64' };
  const bothWays = (count: number) => bothWaysBetween(agentA, agentB, count);

  beforeAll(async () => {
    nsA = await lab!.createNamespace();
    nsB = await lab!.createNamespace();
    [vethA, vethB] = await lab!.addVethPair(nsA, addrA, nsB, addrB);
    await Promise.all([addVcanIn(nsA, CAN), addVcanIn(nsB, CAN)]);
    const common = ['--can', CAN, '--group', DEFAULT_GROUP_IPV6, '--set', 'stats.intervalMs=500'];
    const pair = spawnPair(lab!, [nsA, vethA], [nsB, vethB], common, '6');
    ({ daemonA, daemonB, agentA, agentB } = pair);
    await pair.ready;
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
  });

  afterAll(() => stopPair(lab, { daemonA, daemonB, agentA, agentB }));

  it('link down then up: logs gone/back once, keeps its receive socket (the kernel kept the membership), resumes both ways', async () => {
    const before = await freshStats(daemonA);
    const from = daemonA.logs.length;
    await ip(['-n', nsA.name, 'link', 'set', vethA, 'down']);
    await waitLog(daemonA, (l) => l.msg === 'multicast interface gone', 'gone', from);
    const lostId = nextId++;
    await agentSend(agentA, lostId, 30, 100);
    await ip(['-n', nsA.name, 'link', 'set', vethA, 'up']);
    await waitLog(daemonA, (l) => l.msg === 'multicast interface back', 'back', from);
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const after = await freshStats(daemonA);
    console.log(
      `IPv6 link down: sendErrors ${before.multicast.sendErrors} -> ${after.multicast.sendErrors}`,
    );
    expect(after.multicast.rejoins, daemonA.detail()).toBe(before.multicast.rejoins + 1);
    // Sent while down: lost, never delivered late.
    expect((await agentReport(agentB)).rx[lostId]).toBeUndefined();
    const logs = netIfaceLogs(daemonA, from);
    expect(logs.map((l) => l.msg)).toEqual([
      'multicast interface gone',
      'multicast interface back',
    ]);
    // The same index: the receive socket stays. Linux flushes the IPv6 addresses of an interface
    // taken down (net.ipv6.conf.*.keep_addr_on_down 0), so the send socket, connected from the
    // lost fd93::1, is opened again.
    expect(logs[1]).toMatchObject({
      iface: vethA,
      reason: 'reappeared',
      reopened: { receive: false, send: true },
    });
  });

  it('deleted and re-created (same name and address, new index): re-joins on fresh sockets by itself, resumes both ways', async () => {
    const [before, beforeB] = [await freshStats(daemonA), await freshStats(daemonB)];
    const [from, fromB] = [daemonA.logs.length, daemonB.logs.length];
    await recreateVethPair(lab!, daemonA, [nsA, addrA, nsB, addrB], [vethA, vethB]);
    // Both ends of the pair were re-created: each daemon re-joins on its own (interface check
    // every second); traffic before both are back may be lost (found in CI: 19 of 20 reached B).
    await waitLog(daemonA, (l) => l.msg === 'multicast interface back', 'A back', from);
    await waitLog(daemonB, (l) => l.msg === 'multicast interface back', 'B back', fromB);
    expect(await bothWays(20)).toEqual({ toA: 20, toB: 20 });
    const [after, afterB] = [await freshStats(daemonA), await freshStats(daemonB)];
    expect(after.multicast.rejoins, daemonA.detail()).toBe(before.multicast.rejoins + 1);
    expect(afterB.multicast.rejoins, daemonB.detail()).toBe(beforeB.multicast.rejoins + 1);
    const logs = netIfaceLogs(daemonA, from);
    expect(logs.map((l) => l.msg)).toEqual([
      'multicast interface gone',
      'multicast interface back',
    ]);
    expect(logs[1]).toMatchObject({ reopened: { receive: true, send: true } });
  });

  it('stops with exit 0', async () => {
    const [a, b] = await Promise.all([daemonA.stop(), daemonB.stop()]);
    expect(a.code, daemonA.detail()).toBe(0);
    expect(b.code, daemonB.detail()).toBe(0);
    expect((a.stats as unknown as Stats).multicast.rejoins).toBe(2);
  });
});
