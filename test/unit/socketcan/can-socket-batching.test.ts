/**
 * `CanSocket` flushes its TX queue once per event-loop turn: frames queued by separate callbacks of
 * one turn (Node runs the microtask queue after each) share one sendmmsg (issue 4, network -> CAN).
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import type { CanTxDropReason } from '../../../src/socketcan/can-socket-like.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { nextTurn } from '../../support/loop-turn.js';

const frame = (id: number) =>
  makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.of(id & 0xff) });

/** The standard ids of the frames written so far. */
function writtenIds(kernel: FakeKernel): number[] {
  return kernel.written.map((b) => new DataView(b.buffer, b.byteOffset).getUint32(0, true));
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('CanSocket TX batching per event-loop turn (scripted native binding)', () => {
  let kernel: FakeKernel;
  let sock: CanSocket;
  let drops: [CanTxDropReason, number][];
  const udp: Socket[] = [];

  beforeEach(() => {
    kernel = new FakeKernel();
    kernel.addInterface('vcanL');
    drops = [];
    sock = new CanSocket(
      { interface: 'vcanL', interfacePollMs: 60_000 },
      { binding: kernel.binding(), probe: kernel.probe, nowMs: () => 1000 },
    );
    sock.on('drop', (frames, reason) => drops.push([reason, frames.length]));
    void sock.start();
  });

  afterEach(async () => {
    sock.destroy();
    await Promise.all(udp.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('sends frames queued by separate callbacks, microtasks drained after each, in one sendmmsg', async () => {
    await nextTurn(); // the flush start() scheduled (nothing queued: no native call)
    expect(kernel.last.sendCalls).toBe(0);
    const n = 20;
    for (const id of range(1, n)) {
      expect(sock.send(frame(id))).toBe(true);
      // What Node does after every callback from libuv (MakeCallback): run the microtask queue.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(kernel.last.sendCalls).toBe(0);
    }
    await nextTurn();
    expect(writtenIds(kernel)).toEqual(range(1, n));
    expect(kernel.last.sendCalls).toBe(1);
    expect(sock.counters).toMatchObject({ txFrames: n, txBatches: 1, txQueued: 0 });

    // The next turn's frames are the next batch.
    sock.send(frame(100));
    sock.send(frame(101));
    await nextTurn();
    expect(writtenIds(kernel).slice(n)).toEqual([100, 101]);
    expect(sock.counters).toMatchObject({ txFrames: n + 2, txBatches: 2 });
  });

  it('one sendmmsg for the frames of all UDP datagrams read in one readiness (loopback)', async () => {
    await nextTurn();
    const rx = createSocket('udp4');
    const tx = createSocket('udp4');
    udp.push(rx, tx);
    rx.bind(0, '127.0.0.1');
    tx.bind(0, '127.0.0.1');
    await Promise.all([once(rx, 'listening'), once(tx, 'listening')]);
    const n = 20; // <= 32: libuv reads up to 32 datagrams per readiness (src/unix/udp.c)
    const callsSeen: number[] = [];
    const all = new Promise<void>((resolve) => {
      rx.on('message', (msg) => {
        // Each datagram is its own 'message' callback, as in MulticastBus -> Bridge -> send().
        callsSeen.push(kernel.last.sendCalls);
        sock.send(frame(msg.readUInt16BE(0)));
        if (callsSeen.length === n) resolve();
      });
    });
    // All sent in one synchronous run: they are all queued on rx before its next poll.
    for (const id of range(1, n)) {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(id);
      tx.send(b, rx.address().port, '127.0.0.1');
    }
    await all;
    await nextTurn();
    expect(callsSeen).toEqual(new Array<number>(n).fill(0));
    expect(writtenIds(kernel)).toEqual(range(1, n));
    expect(sock.counters).toMatchObject({ txFrames: n, txBatches: 1, txQueued: 0 });
  });

  it('splits a turn of more than 64 frames into sendmmsg calls of 64', async () => {
    await nextTurn();
    for (const id of range(1, 100)) sock.send(frame(id));
    await nextTurn();
    expect(writtenIds(kernel)).toEqual(range(1, 100));
    expect(kernel.last.sendCalls).toBe(2);
    expect(sock.counters).toMatchObject({ txFrames: 100, txBatches: 2 });
  });

  it('close() with a flush pending sends at once; the pending flush then does nothing', async () => {
    sock.send(frame(1));
    sock.send(frame(2));
    const closed = sock.close();
    expect(writtenIds(kernel)).toEqual([1, 2]);
    await closed;
    expect(sock.state).toBe('closed');
    await nextTurn();
    expect(kernel.last.sendCalls).toBe(1);
    expect(drops).toEqual([]);
  });

  it('destroy() with a flush pending drops the queue as closed and sends nothing', async () => {
    sock.send(frame(1));
    sock.destroy();
    await nextTurn();
    expect(kernel.last.sendCalls).toBe(0);
    expect(drops).toEqual([['closed', 1]]);
    expect(sock.counters).toMatchObject({ txFrames: 0, txDropped: { closed: 1 } });
  });
});
