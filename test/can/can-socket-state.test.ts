/**
 * Riding through interface changes on a real kernel: `ip link set down/up` and `ip link del` /
 * re-add while a CanSocket is open (can/raw.c raw_notify: ENETDOWN, ENODEV) are reported as state
 * events, nothing crashes, queued frames survive, and traffic resumes both ways.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeFrame } from '../../src/frame.js';
import type { CanStateChange } from '../../src/socketcan/can-socket-like.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import {
  addVcan,
  cansendAll,
  collectFrames,
  delLink,
  ip,
  skipReason,
  startCandump,
  uniqueIfname,
} from './can-helpers.js';

const skip = skipReason();

describe.skipIf(skip !== null)('CanSocket through interface down/up and removal', () => {
  const iface = uniqueIfname('st');
  let sock: CanSocket | undefined;

  const late = uniqueIfname('sl');
  let lateSock: CanSocket | undefined;

  afterAll(async () => {
    sock?.destroy();
    lateSock?.destroy();
    await delLink(iface);
    await delLink(late);
  });

  it('with waitForInterface, waits for an interface created after start', async () => {
    lateSock = new CanSocket({
      interface: late,
      interfacePollMs: 200,
      txMaxAgeMs: 0,
      waitForInterface: true,
    });
    const s = lateSock;
    const states: CanStateChange[] = [];
    s.on('state', (change) => states.push(change));
    await s.start();
    expect(s.state).toBe('gone');
    expect(s.send(makeFrame({ arbitrationId: 0x31, isExtendedId: false }))).toBe(true);
    await addVcan(late, 72);
    const deadline = Date.now() + 30_000;
    while (s.state !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(states).toEqual(['back', 'up']);
    const rx = collectFrames(s, 1);
    await cansendAll(late, ['333#CC']);
    expect((await rx)[0]?.data).toEqual(Uint8Array.of(0xcc));
    expect(s.counters.txFrames).toBe(1);
  });

  it('reports down, up, gone, back and resumes traffic', async () => {
    await addVcan(iface, 72);
    sock = new CanSocket({ interface: iface, fd: true, interfacePollMs: 200, txMaxAgeMs: 0 });
    const s = sock;
    const states: CanStateChange[] = [];
    const waitFor = (want: CanStateChange, count = 1): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no '${want}' in ${JSON.stringify(states)}`)),
          30_000,
        );
        const check = (): void => {
          if (states.filter((x) => x === want).length >= count) {
            clearTimeout(timer);
            s.off('state', check);
            resolve();
          }
        };
        s.on('state', check);
        check();
      });
    s.on('state', (change) => states.push(change));
    await s.start();
    expect(s.state).toBe('up');

    // down / up
    await ip('link', 'set', 'dev', iface, 'down');
    await waitFor('down');
    expect(s.state).toBe('down');
    s.send(makeFrame({ arbitrationId: 0x11, isExtendedId: false, data: Uint8Array.of(1) }));
    expect(s.counters.txQueued).toBe(1);
    await ip('link', 'set', 'dev', iface, 'up');
    await waitFor('up');
    let dump = await startCandump(iface);
    // The frame queued while down goes out after up.
    s.send(makeFrame({ arbitrationId: 0x12, isExtendedId: false, data: Uint8Array.of(2) }));
    await dump.waitFor((l) => l.length >= 1);
    dump.stop();
    expect(s.counters.txFrames).toBe(2);
    let rx = collectFrames(s, 1);
    await cansendAll(iface, ['321#AA']);
    expect((await rx)[0]?.arbitrationId).toBe(0x321);

    // gone / back
    await ip('link', 'del', 'dev', iface);
    await waitFor('gone');
    expect(s.state).toBe('gone');
    s.send(makeFrame({ arbitrationId: 0x13, isExtendedId: false, data: Uint8Array.of(3) }));
    await addVcan(iface, 72, false);
    await waitFor('back');
    expect(s.counters.reopens).toBe(1);
    await ip('link', 'set', 'dev', iface, 'up');
    await waitFor('up', 2);
    expect(s.state).toBe('up');
    dump = await startCandump(iface);
    s.send(makeFrame({ arbitrationId: 0x14, isExtendedId: false, data: Uint8Array.of(4) }));
    await dump.waitFor((l) => l.length >= 1);
    dump.stop();
    expect(s.counters.txFrames).toBe(4);
    rx = collectFrames(s, 1);
    await cansendAll(iface, ['322#BB']);
    expect((await rx)[0]?.arbitrationId).toBe(0x322);

    expect(states.slice(0, 2)).toEqual(['down', 'up']);
    expect(states.slice(2)).toEqual(expect.arrayContaining(['gone', 'back', 'up']));
    expect(Object.values(s.counters.txDropped).every((n) => n === 0)).toBe(true);
    await s.close();
    expect(s.state).toBe('closed');
  });
});
