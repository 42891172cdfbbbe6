/**
 * A full TX path on a real kernel: a `tc` rate limit on the vcan makes the kernel answer EAGAIN
 * (socket send buffer full, socket(7) SO_SNDBUF) or ENOBUFS (qdisc full, net/can/af_can.c
 * can_send); CanSocket waits or backs off without blocking the event loop and loses no frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanFrame } from '../../src/frame.js';
import { makeFrame } from '../../src/frame.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import {
  addVcan,
  collectFrames,
  delLink,
  execFileP,
  skipReason,
  uniqueIfname,
} from './can-helpers.js';

const skip = skipReason();

/** The longest gap between ticks of a 10 ms interval until `work` settles: event-loop blocking. */
async function maxLoopGapMs<T>(work: Promise<T>): Promise<[T, number]> {
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  try {
    return [await work, maxGap];
  } finally {
    clearInterval(timer);
  }
}

function numbered(i: number): CanFrame {
  return makeFrame({
    arbitrationId: 0x200,
    isExtendedId: false,
    data: Uint8Array.of(i >> 8, i & 0xff),
  });
}

function seqOf(f: CanFrame): number {
  return ((f.data[0] ?? 0) << 8) | (f.data[1] ?? 0);
}

describe.skipIf(skip !== null)('CanSocket with a full TX queue', () => {
  const ifaces: string[] = [];
  const sockets: CanSocket[] = [];

  beforeAll(() => undefined);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const i of ifaces) await delLink(i);
  });

  async function limitedVcan(tbf: string[]): Promise<string> {
    const iface = uniqueIfname('tx');
    ifaces.push(iface);
    await addVcan(iface, 72);
    await execFileP('tc', ['qdisc', 'add', 'dev', iface, 'root', 'tbf', ...tbf]);
    return iface;
  }

  it.each([
    // A small socket send buffer fills before the qdisc: EAGAIN, wait for POLLOUT.
    [
      'EAGAIN',
      ['rate', '20kbit', 'burst', '200', 'limit', '100000'],
      { sendBufferBytes: 1 },
      'txWaits',
    ],
    // A short qdisc fills before the socket buffer: ENOBUFS, back off on a timer.
    ['ENOBUFS', ['rate', '20kbit', 'burst', '200', 'limit', '200'], {}, 'txBackoffs'],
  ] as const)(
    'on %s waits and resumes without blocking the loop or losing frames',
    async (_code, tbf, opts, counter) => {
      const iface = await limitedVcan([...tbf]);
      const total = 400;
      const sender = new CanSocket({
        interface: iface,
        txQueueLimit: total,
        txMaxAgeMs: 0,
        ...opts,
      });
      const receiver = new CanSocket({ interface: iface });
      sockets.push(sender, receiver);
      await receiver.start();
      await sender.start();
      const got = collectFrames(receiver, total, 90_000);
      let accepted = 0;
      for (let i = 0; i < total; i++) if (sender.send(numbered(i))) accepted++;
      expect(accepted).toBe(total);
      // Measured from here: the frames are queued, the kernel pushes back, the policy waits.
      const [frames, gap] = await maxLoopGapMs(got);
      const c = sender.counters;
      expect(c[counter]).toBeGreaterThan(0);
      expect(frames.map(seqOf)).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(c).toMatchObject({ txFrames: total, txQueued: 0 });
      expect(Object.values(c.txDropped).every((n) => n === 0)).toBe(true);
      // 400 frames at 20 kbit/s of 16-byte skbs take about 2.6 s; the loop kept ticking meanwhile
      // (generous bound: everything in the VM is emulated).
      expect(gap).toBeLessThan(1000);
      console.log(
        `${_code}: ${JSON.stringify({ waits: c.txWaits, backoffs: c.txBackoffs, batches: c.txBatches, maxLoopGapMs: Math.round(gap) })}`,
      );
    },
  );
});
