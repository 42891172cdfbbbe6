/**
 * Loop suppression, the invariant of the daemon issue: three bridges on three CAN buses (one host,
 * one multicast group, sharing the port), can-utils on every bus and a python-can listener. Every
 * frame appears exactly once on every other bus and at the listener, never again on its origin
 * bus, and the traffic stays flat once the senders stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip, NetnsLab } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { JsonLinesPeer } from '../support/json-lines-peer.js';
import { fixturePath, PYTHON } from '../support/python-can.js';
import type { FrameJson } from '../support/frame-json.js';
import { frameFromJson } from '../support/frame-json.js';
import { formatFrameString } from '../../src/frame-string.js';
import { skipReason } from './can-helpers.js';
import {
  addVcanIn,
  cansendIn,
  framesFor,
  NsCandump,
  sorted,
  startDaemon,
} from './daemon-helpers.js';
import type { DaemonProcess } from './daemon-helpers.js';

const skip = skipReason() !== null;
const GROUP = '239.74.163.2';
const BUSES = ['vcanx', 'vcany', 'vcanz'] as const;

// Generous: the VM runs everything 10-50x slower than a host, more when it shares the CPUs.
describe.skipIf(skip)('three bridges on three buses', { timeout: 300_000 }, () => {
  const lab = skip ? null : new NetnsLab('loop');
  let ns: Netns;
  let daemons: DaemonProcess[] = [];
  let dumps: NsCandump[] = [];
  let python: JsonLinesPeer;

  beforeAll(async () => {
    ns = await lab!.createNamespace();
    await ip(['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
    await Promise.all(BUSES.map((bus) => addVcanIn(ns, bus)));
    daemons = BUSES.map((bus) =>
      startDaemon(lab!, ns, bus, ['--can', bus, '--group', GROUP, '--sender-id', `id-${bus}`]),
    );
    dumps = BUSES.map((bus) => new NsCandump(lab!, ns, bus));
    python = new JsonLinesPeer(
      'python-can',
      lab!.spawn(ns, PYTHON, [fixturePath('python-can-peer.py'), '--group', GROUP]),
    );
    await Promise.all([
      ...daemons.map((d) => d.ready()),
      python.waitFor('ready', { timeoutMs: 180_000 }),
    ]);
  });

  afterAll(async () => {
    for (const d of dumps) d.stop();
    await python?.quit().catch(() => undefined);
    await Promise.all(daemons.map((d) => d.stop()));
    await lab?.destroy();
  });

  it('delivers every frame once to every other bus and the listener, never back to its origin, and stays flat', async () => {
    const sent = BUSES.map((_bus, i) => framesFor(i));
    const total = sent.flat().length;
    python.command({ cmd: 'recv', count: total, timeout: 60 });
    await python.waitFor('receiving');
    await Promise.all(BUSES.map((bus, i) => cansendIn(lab!, ns, bus, sent[i] ?? [])));
    const received = await python.waitFor('received', { timeoutMs: 120_000 });
    expect(received).toMatchObject({ count: total, errors: 0 });
    for (const dump of dumps) await dump.waitFor(total, 120_000);
    const counts = dumps.map((d) => d.frames.length);
    // Flat: nothing circulates once the senders stop.
    await new Promise((r) => setTimeout(r, 3000));
    expect(dumps.map((d) => d.frames.length)).toEqual(counts);
    // Each bus shows every frame exactly once: its own (cansend's loopback copy) and the others'.
    for (const dump of dumps) expect(sorted(dump.frames)).toEqual(sorted(sent.flat()));
    // The listener got each frame once, stamped with the sender id of its origin bus.
    const atPython = python.all('frame').map((e) => e.frame as FrameJson);
    expect(
      sorted(atPython.map((f) => `${String(f.channel)} ${formatFrameString(frameFromJson(f))}`)),
    ).toEqual(sorted(BUSES.flatMap((bus, i) => (sent[i] ?? []).map((t) => `id-${bus} ${t}`))));
    const stats = await Promise.all(daemons.map((d) => d.stop()));
    for (const [i, s] of stats.entries()) {
      expect(s.code, daemons[i]?.detail()).toBe(0);
      expect(s.stats).toMatchObject({ toMulticast: { frames: 20 }, toCan: { frames: 40 } });
    }
  });
});
