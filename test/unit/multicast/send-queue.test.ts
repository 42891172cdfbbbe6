// SendQueue (src/multicast/send-queue.ts): one sendmmsg per event-loop turn, and the policy for
// EAGAIN, ENOBUFS and other errors, over the fake socket of test/support.
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { SendQueue } from '../../../src/multicast/send-queue.js';
import type { SendDone } from '../../../src/multicast/send-queue.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrameInto } from '../../../src/protocol/encode-frame.js';
import { FakeUdpSocket, systemError } from '../../support/fake-udp-socket.js';
import { ManualTimers } from '../../support/manual-timers.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(options: { bufferBytes?: number } = {}) {
  const timers = new ManualTimers();
  const socket = new FakeUdpSocket({ type: 'udp4' }, 50000);
  socket.connect('239.74.163.2', 43113);
  const errors: NodeJS.ErrnoException[] = [];
  let sent = 0;
  const queue = new SendQueue({
    encodeInto: encodeFrameInto,
    onSent: (n) => (sent += n),
    onError: (err) => errors.push(err),
    after: (ms, fn) => timers.after(ms, fn),
    ...options,
  });
  queue.setTarget({ socket, to: undefined });
  return { queue, socket, timers, errors, sent: () => sent };
}

const frame = (id: number) =>
  makeFrame({ arbitrationId: id, timestamp: 1, data: Uint8Array.of(id) });
const ids = (socket: FakeUdpSocket): number[] =>
  socket.sent.map((d) => {
    const r = decodeDatagram(d.msg);
    if (!r.ok) throw new Error(r.reason);
    return r.frame.arbitrationId;
  });

describe('SendQueue', () => {
  it('sends the frames of one event-loop turn in one call, in order', async () => {
    const { queue, socket, sent } = setup();
    for (let i = 1; i <= 5; i++) queue.push(frame(i), null);
    expect(socket.sent).toEqual([]);
    await turn();
    expect(socket.sendBatches).toEqual([5]);
    expect(ids(socket)).toEqual([1, 2, 3, 4, 5]);
    expect(sent()).toBe(5);
    expect(queue).toMatchObject({ pending: 0, batches: 1, maxBatch: 5 });
  });

  it('sends to the destination of an unconnected socket', async () => {
    const { queue, socket } = setup();
    const other = new FakeUdpSocket({ type: 'udp4' }, 50001);
    queue.setTarget({ socket: other, to: { address: '239.74.163.2', port: 43113 } });
    queue.push(frame(1), null);
    await turn();
    expect(socket.sent).toEqual([]);
    expect(other.sent).toMatchObject([{ address: '239.74.163.2', port: 43113, connected: false }]);
  });

  it('waits for writability after EAGAIN and then sends everything queued, in order', async () => {
    const { queue, socket } = setup();
    socket.holdSends = true;
    queue.push(frame(1), null);
    await turn();
    queue.push(frame(2), null);
    await turn();
    expect(socket.sent).toEqual([]);
    expect(queue.pending).toBe(2);
    socket.completeSends();
    expect(ids(socket)).toEqual([1, 2]);
    expect(queue.pending).toBe(0);
  });

  it('pauses after ENOBUFS and tries again, losing nothing', async () => {
    const { queue, socket, timers, errors } = setup();
    socket.sendError = systemError('ENOBUFS', -105, 'sendmmsg');
    queue.push(frame(1), null);
    await turn();
    expect(queue.pending).toBe(1);
    socket.sendError = null;
    timers.advance(1);
    expect(ids(socket)).toEqual([1]);
    expect(errors).toEqual([]);
  });

  it('fails only the datagram an error names; the rest go out and each done hears its own result', async () => {
    const { queue, socket, errors } = setup();
    const results: (string | null)[] = [];
    const done: SendDone = (err) => results.push(err === null ? null : (err.code ?? '?'));
    socket.sendErrorOnce = systemError('EMSGSIZE', -90, 'sendmmsg');
    for (let i = 1; i <= 3; i++) queue.push(frame(i), done);
    await turn();
    expect(ids(socket)).toEqual([2, 3]);
    expect(results).toEqual(['EMSGSIZE', null, null]);
    expect(errors).toMatchObject([{ code: 'EMSGSIZE', errno: -90, syscall: 'sendmmsg' }]);
  });

  it('refuses a frame (returns false) when the buffer is full and the kernel takes nothing', () => {
    const { queue, socket } = setup({ bufferBytes: 4096 });
    socket.holdSends = true;
    expect(queue.push(frame(1), null)).toBe(true);
    // No room for a largest datagram after the first: a flush is tried, EAGAIN, so it is refused.
    expect(queue.push(frame(2), null)).toBe(false);
    expect(queue.pending).toBe(1);
    socket.completeSends();
    expect(ids(socket)).toEqual([1]);
  });

  it('refuses an invalid frame with the codec error and queues nothing', () => {
    const { queue } = setup();
    expect(() =>
      queue.push(makeFrame({ arbitrationId: 0x800, isExtendedId: false }), null),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FRAME' }));
    expect(queue.pending).toBe(0);
  });

  it('clear abandons what is queued, telling each done, and drained() resolves', async () => {
    const { queue, socket } = setup();
    socket.holdSends = true;
    const results: (string | null)[] = [];
    queue.push(frame(1), (err) => results.push(err?.code ?? null));
    await turn();
    const drained = queue.drained();
    queue.clear(Object.assign(new Error('closed'), { code: 'ERR_BUS_CLOSED' }));
    await drained;
    expect(results).toEqual(['ERR_BUS_CLOSED']);
    expect(queue.pending).toBe(0);
  });

  it('keeps order across many turns and a buffer that fills and flushes early', async () => {
    const { queue, socket } = setup({ bufferBytes: 8192 });
    for (let i = 0; i < 500; i++) {
      queue.push(frame(i % 0x800), null);
      if (i % 97 === 0) await turn();
    }
    await turn();
    expect(ids(socket)).toEqual(Array.from({ length: 500 }, (_, i) => i % 0x800));
    expect(Math.max(...socket.sendBatches)).toBeGreaterThan(1);
  });
});
