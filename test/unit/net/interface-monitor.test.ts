/**
 * InterfaceMonitor (issue 10 §1): one look per interval on the injected timers, over a fake
 * reader; one event vocabulary (up, down, gone, back) with ifindex and addresses.
 */
import { describe, expect, it } from 'vitest';
import type {
  InterfaceEvent,
  InterfaceMonitorOptions,
} from '../../../src/net/interface-monitor.js';
import { InterfaceMonitor } from '../../../src/net/interface-monitor.js';
import { FakeInterfaces, fakeLink, v4, v6 } from '../../support/fake-interfaces.js';
import { ManualTimers } from '../../support/manual-timers.js';

function setup(options: Partial<InterfaceMonitorOptions> = {}) {
  const host = new FakeInterfaces();
  const timers = new ManualTimers();
  const monitor = new InterfaceMonitor(
    { interface: 'eth0', usable: 'ipv4-address', intervalMs: 1000, ...options },
    { reader: host, timers },
  );
  const events: InterfaceEvent[] = [];
  const failures: Error[] = [];
  const looks: number[] = [];
  monitor.on('change', (es) => {
    looks.push(es.length);
    events.push(...es);
  });
  monitor.on('unreadable', (err) => failures.push(err));
  /** The events as `kind ifindex addresses`, for short assertions. */
  const seen = () => events.map((e) => `${e.kind} ${e.ifindex} ${e.addresses.join(',')}`.trim());
  return { host, timers, monitor, events, looks, failures, seen };
}

describe('InterfaceMonitor', () => {
  it('takes the first look as the starting point and looks again every intervalMs', () => {
    const t = setup();
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.monitor.start();
    t.monitor.start();
    expect(t.events).toEqual([]);
    expect(t.monitor.get()).toMatchObject({ name: 'eth0', ifindex: 7, up: true });
    expect(t.host.listings).toBe(1);
    t.timers.advance(999);
    expect(t.host.listings).toBe(1);
    t.timers.advance(1);
    expect(t.host.listings).toBe(2);
    expect(t.monitor.lastLookAt).toBe(1000);
    expect(t.events).toEqual([]);
  });

  it.each<[string, (h: FakeInterfaces) => void, string[]]>([
    ['deleted: gone (with the index it had)', (h) => h.remove('eth0'), ['gone 7']],
    ['down: down (still there)', (h) => h.setUp('eth0', false), ['down 7']],
    [
      're-created between two looks: back with the new index',
      (h) => h.add('eth0', 12, v4('10.0.0.1')),
      ['back 12 10.0.0.1'],
    ],
    [
      'an address replaced: up with the new addresses',
      (h) => (h.entries.eth0 = [v4('10.0.0.2')]),
      ['up 7 10.0.0.2'],
    ],
    [
      'an address added: up with both',
      (h) => h.entries.eth0?.push(v4('10.0.0.9')),
      ['up 7 10.0.0.1,10.0.0.9'],
    ],
    [
      'an IPv6 address only (not counted for IPv4): nothing',
      (h) => h.entries.eth0?.push(v6('fd00::1')),
      [],
    ],
    ['only its IPv4 address removed: down', (h) => (h.entries.eth0 = [v6('fd00::1')]), ['down 7']],
  ])('%s', (_what, change, expected) => {
    const t = setup();
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.monitor.start();
    change(t.host);
    t.timers.advance(1000);
    expect(t.seen()).toEqual(expected);
    t.timers.advance(1000);
    expect(t.seen()).toEqual(expected); // once, not at every look
  });

  it('reports gone, back (not usable yet), then up, each with the previous look', () => {
    const t = setup();
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.monitor.start();
    t.host.remove('eth0');
    t.timers.advance(1000);
    t.host.links.set('eth0', fakeLink(8, false));
    t.timers.advance(1000);
    t.host.setUp('eth0', true, v4('10.0.0.1'));
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['gone 7', 'back 8', 'up 8 10.0.0.1']);
    expect(t.events.map((e) => e.up)).toEqual([false, false, true]);
    expect(t.events.map((e) => e.previous?.ifindex ?? null)).toEqual([7, null, 8]);
  });

  it('prefers the scope id of an IPv6 link-local address to sysfs for the index', () => {
    const t = setup({ usable: 'any-address' });
    t.host.add('eth0', 7, v6('fe80::1', 40), v6('fd00::1'));
    t.monitor.start();
    expect(t.monitor.get()?.ifindex).toBe(40);
    expect(t.monitor.get()?.addresses).toEqual(['fe80::1', 'fd00::1']);
  });

  it('an index it could not read before is not a change of interface: up with the index', () => {
    const t = setup();
    t.host.entries.eth0 = [v4('10.0.0.1')];
    t.monitor.start();
    expect(t.monitor.get()?.ifindex).toBeNull();
    t.host.links.set('eth0', fakeLink(7));
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['up 7 10.0.0.1']);
  });

  it('link-up (CAN): IFF_UP decides, the addresses are never listed', () => {
    const t = setup({ interface: 'vcan0', usable: 'link-up' });
    t.host.links.set('vcan0', fakeLink(3));
    t.monitor.start();
    t.host.links.set('vcan0', fakeLink(3, false));
    t.timers.advance(1000);
    t.host.links.set('vcan0', fakeLink(3, true));
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['down 3', 'up 3']);
    expect(t.events[0]?.link).toEqual({ ifindex: 3, up: false });
    expect(t.host.listings).toBe(0);
  });

  it('with no interface named, watches every interface with an address', () => {
    const t = setup({ interface: null });
    t.host.add('lo', 1, v4('127.0.0.1'));
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.monitor.start();
    t.host.add('eth1', 8, v4('10.1.0.1'));
    t.host.remove('eth0');
    t.timers.advance(1000);
    expect(t.events.map((e) => `${e.name} ${e.kind} ${e.ifindex}`)).toEqual([
      'eth0 gone 7',
      'eth1 back 8',
    ]);
    expect(t.looks).toEqual([2]); // one change event for the look
    expect(t.monitor.get()).toBeUndefined();
    expect(t.monitor.get('eth1')?.addresses).toEqual(['10.1.0.1']);
  });

  it('assume() and forget(): the next look reports the difference from what the caller knows', () => {
    const t = setup({ interface: 'vcan0', usable: 'link-up' });
    t.host.links.set('vcan0', fakeLink(3));
    t.monitor.start();
    const now = t.monitor.get();
    if (now === undefined) throw new Error('not seen');
    t.monitor.assume({ ...now, up: false }); // e.g. ENETDOWN from the socket
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['up 3']);
    t.monitor.forget(); // e.g. a reopen failed: try again at the next look
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['up 3', 'back 3']);
  });

  it('a look that cannot list the addresses is unreadable and changes nothing; the next one goes on', () => {
    const t = setup();
    t.host.failure = new Error('EMFILE');
    t.monitor.start();
    expect(t.failures.map((e) => e.message)).toEqual(['EMFILE']);
    t.host.failure = null;
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.timers.advance(1000); // the first readable look is the starting point
    t.host.remove('eth0');
    t.timers.advance(1000);
    expect(t.seen()).toEqual(['gone 7']);
  });

  it('close() stops the looks (idempotent) and leaves no timer; look() still works', () => {
    const t = setup();
    t.host.add('eth0', 7, v4('10.0.0.1'));
    t.monitor.start();
    t.monitor.close();
    t.monitor.close();
    expect(t.timers.active).toBe(0);
    t.host.remove('eth0');
    t.monitor.look();
    expect(t.seen()).toEqual(['gone 7']);
  });
});
