import { describe, expect, it } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanSocketLike, CanStateChange } from '../../../src/socketcan/can-socket-like.js';
import { FakeCanSocket } from '../../../src/socketcan/fake-can-socket.js';

describe('FakeCanSocket', () => {
  it('records sent frames and delivers injected batches', () => {
    const sock: CanSocketLike = new FakeCanSocket();
    const fake = sock as FakeCanSocket;
    const got: CanFrame[][] = [];
    sock.on('frames', (f) => got.push(f));
    void sock.start();
    const f = makeFrame({ arbitrationId: 0x10, data: Uint8Array.of(1) });
    expect(sock.send(f)).toBe(true);
    expect(fake.sent).toEqual([f]);
    fake.receive([f, f]);
    expect(got).toEqual([[f, f]]);
    expect(sock.counters).toMatchObject({ rxFrames: 2, rxBatches: 1, txFrames: 1 });
  });

  it('queues while the interface is down or gone and sends on up', () => {
    const fake = new FakeCanSocket();
    const states: CanStateChange[] = [];
    fake.on('state', (s) => states.push(s));
    void fake.start();
    fake.setInterface('gone');
    fake.send(makeFrame({ arbitrationId: 1 }));
    fake.setInterface('back');
    expect(fake.sent).toHaveLength(0);
    expect(fake.counters.txQueued).toBe(1);
    fake.setInterface('up');
    expect(fake.sent).toHaveLength(1);
    expect(states).toEqual(['gone', 'back', 'up']);
    expect(fake.counters.reopens).toBe(1);
  });

  it('drops like CanSocket: invalid, fd_unsupported, queue_full, closed', async () => {
    const fake = new FakeCanSocket({ fd: false, txQueueLimit: 1 });
    const reasons: string[] = [];
    fake.on('drop', (_f, reason) => reasons.push(reason));
    await fake.start();
    fake.setInterface('down');
    fake.send(makeFrame({ arbitrationId: 0x800, isExtendedId: false }));
    fake.send(makeFrame({ isFd: true }));
    fake.send(makeFrame());
    fake.send(makeFrame());
    await fake.close();
    fake.send(makeFrame());
    expect(reasons).toEqual(['invalid', 'fd_unsupported', 'queue_full', 'closed', 'closed']);
    expect(fake.counters.txDropped).toMatchObject({
      invalid: 1,
      fd_unsupported: 1,
      queue_full: 1,
      closed: 2,
    });
  });

  it('rejects with the configured start error and emits error then close on destroy(err)', async () => {
    const err = Object.assign(new Error('if_nametoindex ENODEV vcan9'), { code: 'ENODEV' });
    await expect(new FakeCanSocket({ startError: err }).start()).rejects.toBe(err);
    const fake = new FakeCanSocket();
    const events: string[] = [];
    fake.on('error', (e) => events.push(e.message));
    fake.on('close', () => events.push('close'));
    await fake.start();
    fake.destroy(new Error('x'));
    fake.destroy(new Error('y'));
    expect(events).toEqual(['x', 'close']);
  });
});
