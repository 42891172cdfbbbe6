/**
 * What the layers above (the bridge, the bus-state watch, the daemon) rely on of `CanSocket`:
 * sent and received frames, queueing while the interface is down or gone, the drop reasons, and
 * the start and destroy contract. On the native-level fake (test/support/fake-kernel.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanSocketLike, CanStateChange } from '../../../src/socketcan/can-socket-like.js';
import type { CanSocketOptions } from '../../../src/socketcan/can-socket-options.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { asKernelFrame, FakeKernel } from '../../support/fake-kernel.js';
import { nextTurn, useFakeTimersButImmediate } from '../../support/loop-turn.js';

describe('CanSocket (what the relay relies on)', () => {
  let kernel: FakeKernel;
  const sockets: CanSocket[] = [];

  function open(options: Partial<CanSocketOptions> = {}): CanSocket {
    const sock = new CanSocket(
      { interface: 'vcan0', fd: true, interfacePollMs: 100, ...options },
      { binding: kernel.binding(), readLink: kernel.readLink, nowMs: () => 1000 },
    );
    sockets.push(sock);
    return sock;
  }

  beforeEach(() => {
    useFakeTimersButImmediate();
    kernel = new FakeKernel();
    kernel.addInterface('vcan0');
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    vi.useRealTimers();
  });

  it('writes sent frames to the kernel and delivers each received batch as one event', async () => {
    const sock: CanSocketLike = open();
    const got: CanFrame[][] = [];
    sock.on('frames', (f) => got.push(f));
    void sock.start();
    const f = makeFrame({ arbitrationId: 0x10, data: Uint8Array.of(1) });
    expect(sock.send(f)).toBe(true);
    await nextTurn();
    expect(kernel.writtenFrames()).toEqual([asKernelFrame(f)]);
    kernel.last.receive([f, f]);
    const received = { ...f, channel: 'vcan0' };
    expect(got).toEqual([[received, received]]);
    expect(sock.counters).toMatchObject({ rxFrames: 2, rxBatches: 1, txFrames: 1 });
  });

  it('queues while the interface is down or gone and sends on up', async () => {
    const sock = open();
    const states: CanStateChange[] = [];
    sock.on('state', (s) => states.push(s));
    void sock.start();
    kernel.removeInterface('vcan0');
    sock.send(makeFrame({ arbitrationId: 1 }));
    // Re-created interfaces start down (`ip link add`): back, but not up yet.
    kernel.addInterface('vcan0', 72, false);
    vi.advanceTimersByTime(100);
    await nextTurn();
    expect(kernel.written).toHaveLength(0);
    expect(sock.counters.txQueued).toBe(1);
    kernel.setLink('vcan0', true);
    vi.advanceTimersByTime(100);
    await nextTurn();
    expect(kernel.written).toHaveLength(1);
    expect(states).toEqual(['gone', 'back', 'up']);
    expect(sock.counters.reopens).toBe(1);
  });

  it('drops as invalid, fd_unsupported, queue_full and closed', async () => {
    const sock = open({ fd: false, txQueueLimit: 1 });
    const reasons: string[] = [];
    sock.on('drop', (_f, reason) => reasons.push(reason));
    await sock.start();
    kernel.setLink('vcan0', false);
    sock.send(makeFrame({ arbitrationId: 0x800, isExtendedId: false }));
    sock.send(makeFrame({ isFd: true }));
    sock.send(makeFrame());
    sock.send(makeFrame());
    // Still down: close() gives up on the queued frame after txMaxAgeMs (default 1000).
    const closed = sock.close();
    vi.advanceTimersByTime(1000);
    await closed;
    sock.send(makeFrame());
    expect(reasons).toEqual(['invalid', 'fd_unsupported', 'queue_full', 'closed', 'closed']);
    expect(sock.counters.txDropped).toMatchObject({
      invalid: 1,
      fd_unsupported: 1,
      queue_full: 1,
      closed: 2,
    });
  });

  it('rejects with the open error and emits error then close on destroy(err)', async () => {
    const err = Object.assign(new Error('if_nametoindex ENODEV vcan9'), { code: 'ENODEV' });
    kernel.openError = err;
    // Coded where it happens (issue 10 §2): ERR_CAN_OPEN, the addon's error as its cause.
    await expect(open().start()).rejects.toMatchObject({
      code: 'ERR_CAN_OPEN',
      sysCode: 'ENODEV',
      cause: err,
    });
    kernel.openError = null;
    const sock = open();
    const events: string[] = [];
    sock.on('error', (e) => events.push(e.message));
    sock.on('close', () => events.push('close'));
    await sock.start();
    sock.destroy(new Error('x'));
    sock.destroy(new Error('y'));
    expect(events).toEqual(['x', 'close']);
  });
});
