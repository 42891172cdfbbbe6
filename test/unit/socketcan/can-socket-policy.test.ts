import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CanFrame } from '../../../src/frame.js';
import { errorCode } from '../../../src/errors.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanStateChange, CanTxDropReason } from '../../../src/socketcan/can-socket-like.js';
import type { CanSocketOptions } from '../../../src/socketcan/can-socket-options.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { nextTurn, useFakeTimersButImmediate } from '../../support/loop-turn.js';

function frame(id: number, extra: Partial<CanFrame> = {}): CanFrame {
  return makeFrame({
    arbitrationId: id,
    isExtendedId: false,
    data: Uint8Array.of(id & 0xff),
    ...extra,
  });
}

/** The standard ids of the frames written so far. */
function writtenIds(kernel: FakeKernel): number[] {
  return kernel.written.map((b) => new DataView(b.buffer, b.byteOffset).getUint32(0, true));
}

describe('CanSocket policy (scripted native binding)', () => {
  let kernel: FakeKernel;
  let nowMs: number;
  let sock: CanSocket;
  let states: CanStateChange[];
  let drops: [CanTxDropReason, number, string | undefined][];

  function open(options: Partial<CanSocketOptions> = {}): CanSocket {
    sock = new CanSocket(
      { interface: 'vcanT', fd: true, interfacePollMs: 100, ...options },
      { binding: kernel.binding(), readLink: kernel.readLink, nowMs: () => nowMs },
    );
    sock.on('state', (s) => states.push(s));
    sock.on('drop', (frames, reason, err) => drops.push([reason, frames.length, errorCode(err)]));
    void sock.start();
    return sock;
  }

  beforeEach(() => {
    useFakeTimersButImmediate();
    kernel = new FakeKernel();
    kernel.addInterface('vcanT');
    nowMs = 1000;
    states = [];
    drops = [];
  });

  afterEach(() => {
    sock?.destroy();
    vi.useRealTimers();
  });

  it('sends the frames queued in one synchronous run with one native call', async () => {
    open();
    for (const id of [1, 2, 3]) expect(sock.send(frame(id))).toBe(true);
    expect(kernel.written).toHaveLength(0);
    await nextTurn();
    expect(writtenIds(kernel)).toEqual([1, 2, 3]);
    expect(kernel.last.sendCalls).toBe(1);
    expect(sock.counters).toMatchObject({ txFrames: 3, txBatches: 1, txQueued: 0 });
  });

  it('waits for writability on EAGAIN and then sends everything in order', async () => {
    open();
    kernel.sendScript.push({ accept: 1, errno: 'EAGAIN' });
    for (const id of [1, 2, 3]) sock.send(frame(id));
    await nextTurn();
    expect(writtenIds(kernel)).toEqual([1]);
    expect(kernel.last.onWritable).not.toBeNull();
    sock.send(frame(4));
    await nextTurn();
    expect(writtenIds(kernel)).toEqual([1]);
    kernel.last.fireWritable();
    expect(writtenIds(kernel)).toEqual([1, 2, 3, 4]);
    expect(sock.counters).toMatchObject({ txWaits: 1, txFrames: 4, txQueued: 0 });
    expect(drops).toEqual([]);
  });

  it('backs off on a timer on ENOBUFS, doubling, and resumes', async () => {
    open({ txBackoffMinMs: 2, txBackoffMaxMs: 8 });
    kernel.sendScript.push({ accept: 0, errno: 'ENOBUFS' }, { accept: 0, errno: 'ENOBUFS' });
    sock.send(frame(1));
    await nextTurn();
    expect(kernel.written).toHaveLength(0);
    vi.advanceTimersByTime(2);
    expect(kernel.written).toHaveLength(0);
    vi.advanceTimersByTime(3);
    expect(kernel.written).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(kernel.written).toHaveLength(1);
    expect(sock.counters.txBackoffs).toBe(2);
  });

  it('treats ENETDOWN on send as interface down and resends when it is up again', async () => {
    open();
    kernel.sendScript.push({ accept: 0, errno: 'ENETDOWN' });
    sock.send(frame(7));
    await nextTurn();
    expect(states).toEqual(['down']);
    expect(sock.state).toBe('down');
    sock.send(frame(8));
    await nextTurn();
    expect(kernel.written).toHaveLength(0);
    vi.advanceTimersByTime(100);
    await nextTurn();
    expect(states).toEqual(['down', 'up']);
    expect(writtenIds(kernel)).toEqual([7, 8]);
  });

  it('reports down/up seen by polling the interface and the socket error ENETDOWN', () => {
    open();
    const info = kernel.interfaces.get('vcanT');
    if (info === undefined) throw new Error('no interface');
    info.up = false;
    kernel.last.fail('ENETDOWN');
    expect(states).toEqual(['down']);
    vi.advanceTimersByTime(100);
    expect(states).toEqual(['down']);
    info.up = true;
    vi.advanceTimersByTime(100);
    expect(states).toEqual(['down', 'up']);
  });

  it('rides through deletion and re-creation: gone, back (reopened), up; queue kept', async () => {
    open({ txMaxAgeMs: 0 });
    const first = kernel.last;
    kernel.interfaces.delete('vcanT');
    first.fail('ENODEV');
    expect(states).toEqual(['gone']);
    expect(first.closed).toBe(true);
    sock.send(frame(5));
    await nextTurn();
    vi.advanceTimersByTime(300);
    expect(sock.state).toBe('gone');
    kernel.addInterface('vcanT', 72, false);
    vi.advanceTimersByTime(100);
    expect(states).toEqual(['gone', 'back']);
    expect(kernel.last).not.toBe(first);
    expect(sock.state).toBe('down');
    const info = kernel.interfaces.get('vcanT');
    if (info !== undefined) info.up = true;
    vi.advanceTimersByTime(100);
    await nextTurn();
    expect(states).toEqual(['gone', 'back', 'up']);
    expect(writtenIds(kernel)).toEqual([5]);
    expect(sock.counters.reopens).toBe(1);
  });

  it('notices a re-created interface (new ifindex) between two polls', () => {
    open();
    const first = kernel.last;
    kernel.addInterface('vcanT');
    vi.advanceTimersByTime(100);
    expect(states).toEqual(['gone', 'back', 'up']);
    expect(first.closed).toBe(true);
    expect(kernel.last.ifindex).not.toBe(first.ifindex);
  });

  it('drops frames older than txMaxAgeMs while the interface is down', async () => {
    open({ txMaxAgeMs: 500 });
    kernel.sendScript.push({ accept: 0, errno: 'ENETDOWN' });
    sock.send(frame(1));
    await nextTurn();
    nowMs += 400;
    sock.send(frame(2));
    nowMs += 200;
    vi.advanceTimersByTime(100);
    expect(drops).toEqual([['stale', 1, undefined]]);
    await nextTurn();
    expect(writtenIds(kernel)).toEqual([2]);
    expect(sock.counters.txDropped.stale).toBe(1);
  });

  it('drops at once when the queue is full, invalid, or FD on a classic socket', () => {
    open({ txQueueLimit: 2 });
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    expect(sock.send(frame(1))).toBe(true);
    expect(sock.send(frame(2))).toBe(true);
    expect(sock.send(frame(3))).toBe(false);
    expect(sock.send(makeFrame({ arbitrationId: 0x800, isExtendedId: false }))).toBe(false);
    expect(drops).toEqual([
      ['queue_full', 1, undefined],
      ['invalid', 1, 'ERR_INVALID_FRAME'],
    ]);
    sock.destroy();

    kernel.addInterface('vcanC', 16);
    drops = [];
    open({ interface: 'vcanC', fd: true });
    expect(sock.fdCapable).toBe(false);
    expect(sock.send(makeFrame({ isFd: true, data: new Uint8Array(12) }))).toBe(false);
    expect(drops).toEqual([['fd_unsupported', 1, 'ERR_CAN_FD_UNSUPPORTED']]);
  });

  it('drops a frame the kernel refuses (EINVAL) and sends the rest', async () => {
    open();
    kernel.sendScript.push({ accept: 1, errno: 'EINVAL' });
    for (const id of [1, 2, 3]) sock.send(frame(id));
    await nextTurn();
    expect(writtenIds(kernel)).toEqual([1, 3]);
    expect(drops).toEqual([['rejected', 1, 'EINVAL']]);
  });

  it('decodes each received batch into one frames event and counts kernel drops', () => {
    open();
    const batches: CanFrame[][] = [];
    sock.on('frames', (f) => batches.push(f));
    const classic = new Uint8Array(16);
    classic.set([0x23, 0x01, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb]);
    const fd = new Uint8Array(72);
    fd.set([0x78, 0x56, 0x34, 0x92, 12, 0x01, 0, 0]);
    kernel.last.deliver([classic, fd], 3);
    expect(batches).toHaveLength(1);
    expect(
      batches[0]?.map((f) => [f.arbitrationId, f.isExtendedId, f.isFd, f.bitrateSwitch, f.dlc]),
    ).toEqual([
      [0x123, false, false, false, 2],
      [0x12345678, true, true, true, 12],
    ]);
    expect(batches[0]?.[0]?.timestamp).toBe(1700000000.5);
    expect(batches[0]?.[0]?.channel).toBe('vcanT');
    expect(sock.counters).toMatchObject({ rxFrames: 2, rxBatches: 1, rxKernelDrops: 3 });
  });

  it('close() sends what is queued, then closes once; later sends are dropped as closed', async () => {
    open();
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    sock.send(frame(1));
    await nextTurn();
    const closes: number[] = [];
    sock.on('close', () => closes.push(1));
    const p1 = sock.close();
    const p2 = sock.close();
    expect(p1).toBe(p2);
    expect(sock.send(frame(2))).toBe(false);
    kernel.last.fireWritable();
    await p1;
    expect(writtenIds(kernel)).toEqual([1]);
    expect(closes).toEqual([1]);
    expect(sock.state).toBe('closed');
    expect(kernel.last.closed).toBe(true);
    await sock.close();
    expect(drops).toEqual([['closed', 1, undefined]]);
  });

  it('destroy(err) drops the queue, emits error then close', async () => {
    open();
    kernel.sendScript.push({ accept: 0, errno: 'EAGAIN' });
    sock.send(frame(1));
    await nextTurn();
    const events: string[] = [];
    sock.on('error', (e) => events.push(`error:${e.message}`));
    sock.on('close', () => events.push('close'));
    sock.destroy(new Error('boom'));
    sock.destroy(new Error('again'));
    expect(events).toEqual(['error:boom', 'close']);
    expect(drops).toEqual([['closed', 1, undefined]]);
  });

  it('with waitForInterface, starts gone when the interface is missing and opens it when it appears', async () => {
    kernel.interfaces.delete('vcanT');
    await expect(open().start()).rejects.toMatchObject({ code: 'ERR_CAN_OPEN', sysCode: 'ENODEV' });
    open({ waitForInterface: true });
    expect(sock.state).toBe('gone');
    kernel.addInterface('vcanT');
    vi.advanceTimersByTime(100);
    expect(states).toEqual(['back', 'up']);
    expect(sock.state).toBe('up');
  });

  it('start is idempotent (one open, the same promise), and a bad interface name is a coded error', async () => {
    open();
    const first = sock.start();
    expect(sock.start()).toBe(first);
    await first;
    expect(kernel.handles).toHaveLength(1);
    expect(() => new CanSocket({ interface: '../etc' })).toThrow(
      expect.objectContaining({ code: 'ERR_CAN_INTERFACE' }),
    );
  });

  it('passes the native options through (filters as struct can_filter pairs)', () => {
    open({
      filters: [{ id: 0x80000123, mask: 0x9fffffff }],
      errorMask: 0x1ff,
      receiveOwnMessages: true,
    });
    expect(kernel.last.options).toMatchObject({
      fdFrames: true,
      errMask: 0x1ff,
      recvOwnMsgs: true,
      filters: Uint32Array.of(0x80000123, 0x9fffffff),
    });
  });
});
