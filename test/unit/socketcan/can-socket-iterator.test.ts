// `for await (const frame of socket)` (issue 13 §2): every iterator gets every frame in order,
// bounded per iterator (drops counted, reading never waits), ended by close(), rejected by
// destroy(err), on the fake kernel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanSocketOptions } from '../../../src/socketcan/can-socket-options.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel } from '../../support/fake-kernel.js';

function frame(id: number): CanFrame {
  return makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.of(id & 0xff) });
}

/** The id of the iterator's next frame; -1 when it is done. */
async function nextId(it: AsyncIterator<CanFrame>): Promise<number> {
  const r = await it.next();
  return r.done === true ? -1 : r.value.arbitrationId;
}

describe('CanSocket async iteration (fake kernel)', () => {
  let kernel: FakeKernel;
  let sock: CanSocket;

  async function open(options: Partial<CanSocketOptions> = {}): Promise<CanSocket> {
    sock = new CanSocket(
      { interface: 'vcanI', interfacePollMs: 100, ...options },
      { binding: kernel.binding(), readLink: kernel.readLink },
    );
    await sock.start();
    return sock;
  }

  beforeEach(() => {
    kernel = new FakeKernel();
    kernel.addInterface('vcanI');
  });

  afterEach(() => sock?.destroy());

  it('yields each received frame, in order, with its kernel timestamp, and ends on close()', async () => {
    await open();
    const got: [number, number][] = [];
    const loop = (async () => {
      for await (const f of sock) got.push([f.arbitrationId, f.timestamp]);
      return 'ended';
    })();
    kernel.last.receive([1, 2].map((id) => ({ ...frame(id), timestamp: 1700000000.25 })));
    kernel.last.receive([{ ...frame(3), timestamp: 1700000001.5 }]);
    await sock.close();
    await expect(loop).resolves.toBe('ended');
    expect(got).toEqual([
      [1, 1700000000.25],
      [2, 1700000000.25],
      [3, 1700000001.5],
    ]);
  });

  it('hands every frame to every iterator and to the frames event alike', async () => {
    await open();
    const a = sock.frames();
    const b = sock.frames();
    let events = 0;
    sock.on('frames', (fs) => (events += fs.length));
    kernel.last.receive([frame(1), frame(2)]);
    for (const it of [a, b]) {
      expect(await nextId(it)).toBe(1);
      expect(await nextId(it)).toBe(2);
    }
    expect(events).toBe(2);
  });

  it('drops new frames for an iterator that is iteratorHighWaterMark behind, and counts them', async () => {
    await open({ iteratorHighWaterMark: 3 });
    const slow = sock.frames();
    let events = 0;
    sock.on('frames', (fs) => (events += fs.length));
    kernel.last.receive([1, 2, 3, 4, 5].map(frame));
    expect(events).toBe(5);
    expect(sock.counters).toMatchObject({ rxFrames: 5, rxIteratorDrops: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await nextId(slow));
    expect(ids).toEqual([1, 2, 3]);
    // Room again: the next frame is delivered.
    kernel.last.receive([frame(6)]);
    expect(await nextId(slow)).toBe(6);
  });

  it('a break stops that iterator only; the socket keeps receiving', async () => {
    await open();
    const other = sock.frames();
    const first = (async () => {
      for await (const f of sock) return f.arbitrationId;
      return -1;
    })();
    kernel.last.receive([frame(1), frame(2)]);
    await expect(first).resolves.toBe(1);
    expect(sock.state).toBe('up');
    kernel.last.receive([frame(3)]);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await nextId(other));
    expect(ids).toEqual([1, 2, 3]);
    expect(sock.counters.rxIteratorDrops).toBe(0);
  });

  it('rejects a waiting iterator with the error of destroy(err)', async () => {
    await open();
    sock.on('error', () => undefined);
    const it = sock.frames();
    const next = it.next();
    sock.destroy(new Error('boom'));
    await expect(next).rejects.toThrow('boom');
  });

  it('an iterator asked for after close is done at once', async () => {
    await open();
    await sock.close();
    await expect(sock.frames().next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('survives the interface going away and coming back (state events, same iterator)', async () => {
    await open();
    const states: string[] = [];
    sock.on('state', (s) => states.push(s));
    const it = sock.frames();
    kernel.removeInterface('vcanI');
    kernel.addInterface('vcanI');
    await new Promise((r) => setTimeout(r, 250)); // two interface looks at 100 ms
    expect(states).toEqual(['gone', 'back', 'up']);
    kernel.last.receive([frame(9)]);
    expect(await nextId(it)).toBe(9);
  });
});
