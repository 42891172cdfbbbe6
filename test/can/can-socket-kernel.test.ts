/**
 * Kernel features through CanSocket on a real vcan: CAN_RAW_FILTER (EFF/RTR aware, inverted),
 * CAN FD on a classic-MTU interface, SO_TIMESTAMPNS, and SO_RXQ_OVFL drop counting.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanFrame } from '../../src/frame.js';
import { makeFrame } from '../../src/frame.js';
import type { CanTxDropReason } from '../../src/socketcan/can-socket-like.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import { canIdFilter } from '../support/can-id-filter.js';
import { loadNativeBinding } from '../../src/native/native-binding.js';
import {
  addVcan,
  cansendAll,
  collectFrames,
  delLink,
  ip,
  skipReason,
  uniqueIfname,
} from './can-helpers.js';

const skip = skipReason();

describe.skipIf(skip !== null)('CanSocket kernel features on a real vcan', () => {
  const fdIface = uniqueIfname('kf');
  const classicIface = uniqueIfname('kc');
  const sockets: CanSocket[] = [];

  function open(options: Partial<ConstructorParameters<typeof CanSocket>[0]> = {}): CanSocket {
    const s = new CanSocket({ interface: fdIface, fd: true, ...options });
    void s.start();
    sockets.push(s);
    return s;
  }

  beforeAll(async () => {
    await addVcan(fdIface, 72);
    await addVcan(classicIface, 16);
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await delLink(fdIface);
    await delLink(classicIface);
  });

  it('applies kernel filters: standard only, extended only, remote only, inverted', async () => {
    const std = open({ filters: [canIdFilter({ id: 0x123, extended: false })] });
    const ext = open({ filters: [canIdFilter({ id: 0x123, extended: true })] });
    const rtr = open({ filters: [canIdFilter({ id: 0x123, extended: false, remote: true })] });
    const inv = open({ filters: [canIdFilter({ id: 0x123, mask: 0x7ff, inverted: true })] });
    const none = open({ filters: [] });
    const seen = new Map<CanSocket, string[]>();
    for (const s of [std, ext, rtr, inv, none]) {
      seen.set(s, []);
      s.on('frames', (fs) => seen.get(s)?.push(...fs.map(describeFrame)));
    }
    const all = collectFrames(inv, 2);
    // The last frame (0x7ff) passes only the inverted filter: when it arrives, all earlier ones have.
    await cansendAll(fdIface, ['123#01', '00000123#02', '123#R', '124#03', '7FF#04']);
    await all;
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.get(std)).toEqual(['123#01', '123#R']);
    expect(seen.get(ext)).toEqual(['00000123#02']);
    expect(seen.get(rtr)).toEqual(['123#R']);
    expect(seen.get(inv)).toEqual(['124#03', '7FF#04']);
    expect(seen.get(none)).toEqual([]);
  });

  it('refuses CAN FD frames on a classic-MTU interface with a clear coded error', async () => {
    const s = open({ interface: classicIface });
    expect(s.mtu).toBe(16);
    expect(s.fdCapable).toBe(false);
    const drops: [CanTxDropReason, Error | undefined][] = [];
    s.on('drop', (_f, reason, err) => drops.push([reason, err]));
    expect(s.send(makeFrame({ arbitrationId: 1, isFd: true, data: new Uint8Array(16) }))).toBe(
      false,
    );
    expect(drops[0]?.[0]).toBe('fd_unsupported');
    expect(drops[0]?.[1]).toMatchObject({ code: 'ERR_CAN_FD_UNSUPPORTED' });
    expect(drops[0]?.[1]?.message).toContain(`${classicIface}: interface MTU is 16`);
    // A classic frame still goes out.
    expect(
      s.send(makeFrame({ arbitrationId: 2, isExtendedId: false, data: Uint8Array.of(1) })),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.counters.txFrames).toBe(1);
  });

  it('reports EINVAL from the kernel when the MTU dropped to 16 after opening', async () => {
    const iface = uniqueIfname('km');
    await addVcan(iface, 72);
    try {
      const s = new CanSocket({ interface: iface, fd: true });
      sockets.push(s);
      await s.start();
      expect(s.fdCapable).toBe(true);
      // drivers/net/can/vcan.c: the MTU can only change while the interface is down.
      await ip('link', 'set', 'dev', iface, 'down');
      await ip('link', 'set', 'dev', iface, 'mtu', '16');
      await ip('link', 'set', 'dev', iface, 'up');
      const dropped = new Promise<[CanTxDropReason, Error | undefined]>((resolve) =>
        s.on('drop', (_f, reason, err) => resolve([reason, err])),
      );
      // Wait out the down/up ENETDOWN report before sending.
      await new Promise((r) => setTimeout(r, 1500));
      s.send(makeFrame({ arbitrationId: 1, isFd: true, data: new Uint8Array(8) }));
      const [reason, err] = await dropped;
      expect(reason).toBe('rejected');
      expect(err).toMatchObject({ code: 'EINVAL', syscall: 'sendmmsg', errno: -22 });
      expect(err?.message).toContain(iface);

      // The addon itself, without the policy layer: the first failure's errno is reported.
      const { RawCanSocket, layout } = loadNativeBinding();
      const raw = new RawCanSocket(iface, { fdFrames: true });
      const buf = new Uint8Array(layout.txStride * 2);
      buf[layout.txSizeOffset] = 16;
      buf[layout.txStride + layout.txSizeOffset] = 72;
      expect(raw.send(buf, 2)).toBe(1);
      expect(raw.sendErrno).toBe(-22);
      raw.close();
    } finally {
      await delLink(iface);
    }
  });

  it('gives kernel timestamps that are monotonic and near the wall clock', async () => {
    const s = open();
    const received = collectFrames(s, 20);
    const before = Date.now() / 1000;
    await cansendAll(
      fdIface,
      Array.from(
        { length: 20 },
        (_, i) => `10${(i % 10).toString()}#${i.toString(16).padStart(2, '0')}`,
      ),
    );
    const frames = await received;
    const after = Date.now() / 1000;
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]?.timestamp).toBeGreaterThanOrEqual(frames[i - 1]?.timestamp ?? 0);
    }
    for (const f of frames) {
      expect(f.timestamp).toBeGreaterThanOrEqual(before - 0.01);
      expect(f.timestamp).toBeLessThanOrEqual(after + 0.01);
      // Nanosecond source: not rounded to whole milliseconds.
      expect(Number.isInteger(f.timestamp * 1000)).toBe(false);
    }
  });

  it('counts receive-queue overflow drops (SO_RXQ_OVFL) while the event loop is blocked', async () => {
    const total = 5000;
    const s = open({
      receiveBufferBytes: 4096,
      filters: [canIdFilter({ id: 0x321, extended: false })],
    });
    let rx = 0;
    s.on('frames', (fs: CanFrame[]) => (rx += fs.length));
    // spawnSync blocks this event loop: nothing reads the socket while cangen floods it.
    const gen = spawnSync(
      'cangen',
      [fdIface, '-g', '0', '-n', String(total), '-I', '321', '-L', '8', '-D', 'i', '-p', '10'],
      {
        stdio: 'inherit',
      },
    );
    expect(gen.status).toBe(0);
    const deadline = Date.now() + 30_000;
    while (rx + s.counters.rxKernelDrops < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rxKernelDrops } = s.counters;
    expect(rxKernelDrops).toBeGreaterThan(0);
    expect(rx + rxKernelDrops).toBe(total);
    expect(s.counters.rxFrames).toBe(rx);
  });
});

function describeFrame(f: CanFrame): string {
  const id = f.isExtendedId
    ? f.arbitrationId.toString(16).toUpperCase().padStart(8, '0')
    : f.arbitrationId.toString(16).toUpperCase().padStart(3, '0');
  return f.isRemoteFrame ? `${id}#R` : `${id}#${Buffer.from(f.data).toString('hex').toUpperCase()}`;
}
