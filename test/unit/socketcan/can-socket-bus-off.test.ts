/** `CanSocket.dropQueued` and `setTxBlocked` (bus-off handling, src/bridge/bus-state.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import type { CanTxDropReason } from '../../../src/socketcan/can-socket-like.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { nextTurn, useFakeTimersButImmediate } from '../../support/loop-turn.js';

const frame = (id: number) =>
  makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.of(id) });

describe('CanSocket TX backlog drop and block', () => {
  let kernel: FakeKernel;
  let sock: CanSocket;
  let drops: [CanTxDropReason, number][];

  beforeEach(() => {
    useFakeTimersButImmediate();
    kernel = new FakeKernel();
    kernel.addInterface('vcanB');
    drops = [];
    sock = new CanSocket(
      { interface: 'vcanB', interfacePollMs: 100 },
      { binding: kernel.binding(), probe: kernel.probe, nowMs: () => 1000 },
    );
    sock.on('drop', (frames, reason) => drops.push([reason, frames.length]));
    void sock.start();
  });

  afterEach(() => {
    sock.destroy();
    vi.useRealTimers();
  });

  it('drops the backlog waiting for writability, counted, and later frames go out', async () => {
    kernel.sendScript.push({ accept: 1, errno: 'EAGAIN' });
    for (const id of [1, 2, 3, 4]) sock.send(frame(id));
    await nextTurn();
    expect(kernel.written).toHaveLength(1);
    expect(sock.dropQueued('bus_off')).toBe(3);
    expect(drops).toEqual([['bus_off', 3]]);
    expect(sock.counters).toMatchObject({ txQueued: 0, txDropped: { bus_off: 3 } });
    kernel.last.fireWritable();
    expect(kernel.written).toHaveLength(1);
    expect(sock.dropQueued('bus_off')).toBe(0);
    expect(drops).toHaveLength(1);
  });

  it('drops every frame at once while blocked and sends again when unblocked', async () => {
    sock.setTxBlocked('bus_off');
    expect(sock.send(frame(1))).toBe(false);
    expect(sock.send(frame(2))).toBe(false);
    await nextTurn();
    expect(kernel.written).toHaveLength(0);
    expect(sock.counters.txDropped.bus_off).toBe(2);
    sock.setTxBlocked(null);
    expect(sock.send(frame(3))).toBe(true);
    await nextTurn();
    expect(kernel.written).toHaveLength(1);
  });

  it('drops what is queued while down and refuses while blocked', async () => {
    kernel.setLink('vcanB', false);
    sock.send(frame(1));
    sock.send(frame(2));
    expect(sock.dropQueued('bus_off')).toBe(2);
    sock.setTxBlocked('bus_off');
    expect(sock.send(frame(3))).toBe(false);
    sock.setTxBlocked(null);
    kernel.setLink('vcanB', true);
    vi.advanceTimersByTime(100);
    expect(sock.send(frame(4))).toBe(true);
    await nextTurn();
    expect(kernel.writtenFrames().map((f) => f.arbitrationId)).toEqual([4]);
    expect(drops).toEqual([
      ['bus_off', 2],
      ['bus_off', 1],
    ]);
    expect(sock.counters.txDropped.bus_off).toBe(3);
  });
});
