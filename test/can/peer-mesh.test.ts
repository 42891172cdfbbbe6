/**
 * Three sites in a full mesh of unicast peers (multicast.peers, issue 13 section 1): each site a
 * network namespace with its own vcan and `run` daemon, joined to the others through a router
 * namespace that forwards unicast only (no multicast routing), so the group stays on each site's
 * link and only the peers carry frames between sites. A bridge never forwards what it received
 * from the network, so the mesh has no transit and no loops: every frame exactly once on every
 * other bus, never back on its own, and the traffic flat when the senders stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip, NetnsLab } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
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
const SITES = [0, 1, 2] as const;
const address = (site: number) => `10.90.${site}.1`;

// Generous: the VM runs everything 10-50x slower than a host, more when it shares the CPUs.
describe.skipIf(skip)('three sites in a full mesh of peers', { timeout: 300_000 }, () => {
  const lab = skip ? null : new NetnsLab('mesh');
  const sites: Netns[] = [];
  let daemons: DaemonProcess[] = [];
  let dumps: NsCandump[] = [];

  beforeAll(async () => {
    const router = await lab!.createNamespace();
    await lab!.run(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const site of SITES) {
      const ns = await lab!.createNamespace();
      sites.push(ns);
      // The router's ends get their address here: addVethPair would also add a multicast route
      // per link, and a namespace takes one 224.0.0.0/4 route only.
      const [, routerEnd] = await lab!.addVethPair(ns, { ipv4: `${address(site)}/24` }, router, {});
      await ip(['-n', router.name, 'addr', 'add', `10.90.${site}.254/24`, 'dev', routerEnd]);
      await ip(['-n', ns.name, 'route', 'add', 'default', 'via', `10.90.${site}.254`]);
      await addVcanIn(ns, `vcanm${site}`);
    }
    daemons = SITES.map((site) =>
      startDaemon(lab!, sites[site] as Netns, `site ${site}`, [
        '--can',
        `vcanm${site}`,
        '--group',
        GROUP,
        '--sender-id',
        `site-${site}`,
        ...SITES.filter((s) => s !== site).flatMap((s) => ['--peer', address(s)]),
      ]),
    );
    dumps = SITES.map((site) => new NsCandump(lab!, sites[site] as Netns, `vcanm${site}`));
    await Promise.all(daemons.map((d) => d.ready()));
  });

  afterAll(async () => {
    for (const d of dumps) d.stop();
    await Promise.all(daemons.map((d) => d.stop()));
    await lab?.destroy();
  });

  it('delivers every frame once to every other bus, never back to its origin, and stays flat', async () => {
    const sent = SITES.map((site) => framesFor(site));
    const total = sent.flat().length;
    await Promise.all(
      SITES.map((site) => cansendIn(lab!, sites[site] as Netns, `vcanm${site}`, sent[site] ?? [])),
    );
    for (const dump of dumps) await dump.waitFor(total, 120_000);
    const counts = dumps.map((d) => d.frames.length);
    // Flat: nothing circulates once the senders stop.
    await new Promise((r) => setTimeout(r, 3000));
    expect(dumps.map((d) => d.frames.length)).toEqual(counts);
    // Each bus shows every frame exactly once: its own (cansend's loopback copy) and the others'.
    for (const dump of dumps) expect(sorted(dump.frames)).toEqual(sorted(sent.flat()));
    const stats = await Promise.all(daemons.map((d) => d.stop()));
    for (const [site, s] of stats.entries()) {
      expect(s.code, daemons[site]?.detail()).toBe(0);
      expect(s.stats).toMatchObject({ toMulticast: { frames: 20 }, toCan: { frames: 40 } });
      const peers = (s.stats?.multicast as { peers: unknown[] }).peers;
      expect(peers).toEqual(
        SITES.filter((o) => o !== site).map((o): unknown =>
          expect.objectContaining({
            peer: address(o),
            address: address(o),
            sent: 20,
            sendErrors: 0,
            received: 20,
          }),
        ),
      );
    }
  });
});
