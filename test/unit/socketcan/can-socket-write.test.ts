// `CanSocket.write()` and 'drain' (issue 13 §2): the promise follows the frame to the kernel or to
// its drop, on the fake kernel with a scripted sendmmsg (EAGAIN, EINVAL) and a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanSocketOptions } from '../../../src/socketcan/can-socket-options.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { CanTxDropError } from '../../../src/socketcan/can-tx-drop-error.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { nextTurn, useFakeTimersButImmediate } from '../../support/loop-turn.js';

function frame(id: number, extra: Partial<CanFrame> = {}): CanFrame {
  return makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.of(id), ...extra });
}

/** 'pending', 'ok' or the rejection's `code`/`reason`, as the promise stands now. */
function watch(p: Promise<void>): () => string {
  let state = 'pending';
  p.then(
    () => (state = 'ok'),
    (err: unknown) =>
      (state =
        err instanceof CanTxDropError ? `${err.code}/${err.reason}` : `other: ${String(err)}`),
  );
  return () => state;
}

describe('CanSocket.write (fake kernel)', () => {
  let kernel: FakeKernel;
  let nowMs: number;
  let sock: CanSocket;

  async function open(options: Partial<CanSocketOptions> = {}): Promise<CanSocket> {
    sock = new CanSocket(
      { interface: 'vcanW', fd: true, interfacePollMs: 100, ...options },
      { binding: kernel.binding(), readLink: kernel.readLink, nowMs: () => nowMs },
    );
    await sock.start();
    return sock;
  }

  beforeEach(() => {
    useFakeTimersButImmediate();
    kernel = new FakeKernel();
    kernel.addInterface('vcanW');
    nowMs = 1000;
  });

  afterEach(() => {
    sock?.destroy();
    vi.useRealTimers();
  });

  it('fulfils when the kernel took the frame, not before', async () => {
    await open();
    const state = watch(sock.write(frame(1)));
    await Promise.resolve();
    expect(state()).toBe('pending');
    expect(kernel.written).toHaveLength(0);
    await nextTurn();
    await Promise.resolve();
    expect(kernel.written).toHaveLength(1);
    expect(state()).toBe('ok');
  });

  it('stays pending while the socket buffer is full (EAGAIN) and fulfils once written', async () => {
    await open();
    kernel.sendScript.push({ accept: 1, errno: 'EAGAIN' });
    const states = [1, 2, 3].map((id) => watch(sock.write(frame(id))));
    await nextTurn();
    await Promise.resolve();
    expect(states.map((s) => s())).toEqual(['ok', 'pending', 'pending']);
    kernel.last.fireWritable();
    await Promise.resolve();
    expect(states.map((s) => s())).toEqual(['ok', 'ok', 'ok']);
    expect(sock.counters).toMatchObject({ txFrames: 3, txWaits: 1 });
  });

  it.each([
    ['invalid', frame(0x800), {}, 'ERR_INVALID_FRAME'],
    ['fd_unsupported', frame(1, { isFd: true }), { fd: false }, 'ERR_CAN_FD_UNSUPPORTED'],
  ] as const)(
    'rejects at once as %s with the coded error behind it as cause',
    async (reason, f, opts, causeCode) => {
      await open(opts);
      const err = await sock.write(f).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CanTxDropError);
      expect(err).toMatchObject({ code: 'ERR_CAN_TX_DROPPED', reason, cause: { code: causeCode } });
      expect(sock.counters.txDropped[reason]).toBe(1);
    },
  );

  it('rejects as queue_full when the queue is full, and emits drain once it is empty', async () => {
    await open({ txQueueLimit: 2 });
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    const a = watch(sock.write(frame(1)));
    const b = watch(sock.write(frame(2)));
    const c = watch(sock.write(frame(3)));
    let drains = 0;
    sock.on('drain', () => drains++);
    await nextTurn();
    await Promise.resolve();
    expect([a(), b(), c()]).toEqual(['pending', 'pending', 'ERR_CAN_TX_DROPPED/queue_full']);
    expect(drains).toBe(0);
    kernel.last.fireWritable();
    await Promise.resolve();
    expect([a(), b()]).toEqual(['ok', 'ok']);
    expect(drains).toBe(1);
    // No queue_full since: the next empty queue is no 'drain'.
    await sock.write(frame(4));
    expect(drains).toBe(1);
  });

  it('rejects as stale a frame that waited longer than txMaxAgeMs', async () => {
    await open({ txMaxAgeMs: 50 });
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    const p = sock.write(frame(1));
    await nextTurn();
    nowMs += 51;
    vi.advanceTimersByTime(100); // the stale sweep at the interface poll
    await expect(p).rejects.toMatchObject({ code: 'ERR_CAN_TX_DROPPED', reason: 'stale' });
  });

  it('rejects as rejected when the kernel refuses the frame (EINVAL), the errno as cause', async () => {
    await open();
    kernel.sendScript.push({ accept: 0, errno: 'EINVAL' });
    const refused = sock.write(frame(1));
    const next = sock.write(frame(2));
    await expect(refused).rejects.toMatchObject({
      reason: 'rejected',
      cause: { code: 'EINVAL' },
    });
    await expect(next).resolves.toBeUndefined();
  });

  it('rejects as closed what destroy() drops, and every write after close', async () => {
    await open();
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    const queued = sock.write(frame(1));
    await nextTurn();
    sock.destroy();
    await expect(queued).rejects.toMatchObject({ reason: 'closed' });
    await expect(sock.write(frame(2))).rejects.toMatchObject({ reason: 'closed' });
  });

  it('close() lets queued writes finish first', async () => {
    await open();
    const p = sock.write(frame(1));
    const closed = sock.close();
    await expect(p).resolves.toBeUndefined();
    await closed;
    expect(sock.state).toBe('closed');
  });

  it('tracks each write of the same frame object on its own', async () => {
    await open();
    const f = frame(7);
    await Promise.all([sock.write(f), sock.write(f)]);
    expect(kernel.written).toHaveLength(2);
  });

  it('open() by name opens and starts; a missing interface rejects with ERR_CAN_OPEN', async () => {
    const deps = { binding: kernel.binding(), readLink: kernel.readLink };
    sock = await CanSocket.open('vcanW', { interfacePollMs: 100 }, deps);
    expect(sock.state).toBe('up');
    await expect(CanSocket.open('vcanNope', {}, deps)).rejects.toMatchObject({
      code: 'ERR_CAN_OPEN',
      sysCode: 'ENODEV',
    });
  });
});
