// The relay on the real CanSocket and MulticastBus over the native-level fakes (test/support).
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import type { BridgeOptions } from '../../../src/bridge/bridge.js';
import { parseCanFilters } from '../../../src/can/can-filter.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import type { CanSocketOptions } from '../../../src/socketcan/can-socket.js';
import { openFakeEndpoints } from '../../support/fake-endpoints.js';
import type { FakeEndpoints } from '../../support/fake-endpoints.js';
import { asKernelFrame } from '../../support/fake-kernel.js';
import { nextTurn } from '../../support/loop-turn.js';
import { until } from '../../support/until.js';

const opened: FakeEndpoints[] = [];
afterEach(() => {
  for (const e of opened.splice(0)) e.destroy();
});

async function endpoints(can: Partial<CanSocketOptions> = {}): Promise<FakeEndpoints> {
  const e = await openFakeEndpoints(can);
  opened.push(e);
  return e;
}

async function setup(options: Partial<BridgeOptions> = {}, canFd = true) {
  const e = await endpoints({ fd: canFd });
  const bridge = new Bridge({
    can: e.can,
    multicast: e.multicast,
    senderId: 'host-a/vcan0',
    ...options,
  });
  bridge.start();
  return { ...e, bridge };
}

const std = (id: number, data: number[] = [1, 2], extra: Partial<CanFrame> = {}) =>
  makeFrame({
    timestamp: 1.5,
    arbitrationId: id,
    isExtendedId: false,
    data: Uint8Array.from(data),
    ...extra,
  });

describe('Bridge CAN -> multicast', () => {
  it('sends every frame of a batch with our sender id as channel and the kernel timestamp', async () => {
    const { kernel, sentToGroup, bridge } = await setup();
    const frames = [
      std(0x123),
      makeFrame({ timestamp: 2.25, arbitrationId: 0x1abcdef, isRemoteFrame: true, dlc: 3 }),
      makeFrame({
        timestamp: 3,
        arbitrationId: 0x7,
        isExtendedId: false,
        isFd: true,
        bitrateSwitch: true,
        data: new Uint8Array(64),
      }),
      makeFrame({
        timestamp: 4,
        arbitrationId: 0x40,
        isExtendedId: false,
        isErrorFrame: true,
        data: new Uint8Array(8),
      }),
    ];
    kernel.last.receive(frames);
    await nextTurn(); // the bus sends once per event-loop turn
    expect(sentToGroup()).toEqual(frames.map((f) => ({ ...f, channel: 'host-a/vcan0' })));
    expect(bridge.stats().toMulticast).toEqual({ frames: 4, bytes: 2 + 0 + 64 + 8, dropped: {} });
  });

  it.each([
    ['disabled', { toMulticast: { enabled: false } }, std(0x123), 'disabled'],
    [
      'error frames off',
      { toMulticast: { errorFrames: false } },
      std(0x40, [0, 0, 0, 0, 0, 0, 0, 0], { isErrorFrame: true }),
      'error_frame',
    ],
    [
      'filtered',
      { toMulticast: { filters: parseCanFilters(['100:700']) } },
      std(0x200),
      'filtered',
    ],
  ] as const)('drops when %s, counting the reason', async (_name, options, frame, reason) => {
    const { kernel, sentToGroup, bridge } = await setup(options);
    kernel.last.receive([frame]);
    await nextTurn();
    expect(sentToGroup()).toEqual([]);
    expect(bridge.stats().toMulticast.dropped).toEqual({ [reason]: 1 });
  });

  it('passes a frame that a filter matches', async () => {
    const { kernel, sentToGroup } = await setup({
      toMulticast: { filters: parseCanFilters(['100:700']) },
    });
    kernel.last.receive([std(0x123)]);
    await nextTurn();
    expect(sentToGroup()).toHaveLength(1);
  });
});

describe('Bridge multicast -> CAN', () => {
  it('writes every valid frame to CAN', async () => {
    const { kernel, fromGroup, bridge } = await setup();
    const frames = [
      std(0x1, [], { channel: 'python' }),
      std(0x2, [9], { channel: 7 }),
      std(0x3, [1, 2, 3], { channel: null }),
    ];
    for (const f of frames) fromGroup(f);
    await nextTurn(); // the CAN socket writes once per event-loop turn
    expect(kernel.writtenFrames()).toEqual(frames.map(asKernelFrame));
    expect(bridge.stats().toCan).toEqual({ frames: 3, bytes: 4, dropped: {} });
  });

  it.each([
    ['own sender id', {}, std(0x1, [], { channel: 'host-a/vcan0' }), 'own_sender_id'],
    [
      'ignored sender',
      { ignoreSenders: ['host-b/can0'] },
      std(0x1, [], { channel: 'host-b/can0' }),
      'ignored_sender',
    ],
    ['disabled', { toCan: { enabled: false } }, std(0x1), 'disabled'],
    [
      'error frames off',
      { toCan: { errorFrames: false } },
      std(0x4, [0, 0, 0, 0, 0, 0, 0, 0], { isErrorFrame: true }),
      'error_frame',
    ],
    [
      'filtered',
      { toCan: { filters: parseCanFilters(['12345678:1fffffff']) } },
      std(0x123),
      'filtered',
    ],
    [
      'source not allowed',
      { allowSource: (a: string) => a.startsWith('192.') },
      std(0x1),
      'source_not_allowed',
    ],
  ] as const)('drops for %s, counting the reason', async (_name, options, frame, reason) => {
    const { kernel, fromGroup, bridge } = await setup(options);
    fromGroup(frame);
    await nextTurn();
    expect(kernel.writtenFrames()).toEqual([]);
    expect(bridge.stats().toCan.dropped).toEqual({ [reason]: 1 });
  });

  it.each([
    [9, 12],
    [13, 16],
    [33, 48],
    [63, 64],
  ])('pads a %i-byte FD frame to %i bytes of zeros for SocketCAN', async (len, padded) => {
    const { kernel, fromGroup } = await setup();
    const data = Uint8Array.from({ length: len }, (_, i) => i + 1);
    fromGroup(makeFrame({ isFd: true, arbitrationId: 5, data }));
    const expected = new Uint8Array(padded);
    expected.set(data);
    await nextTurn();
    expect(kernel.writtenFrames()).toEqual([
      asKernelFrame(makeFrame({ isFd: true, arbitrationId: 5, data: expected })),
    ]);
  });

  it('drops FD frames for a classic interface and counts them', async () => {
    const { kernel, fromGroup, bridge } = await setup({}, false);
    fromGroup(makeFrame({ isFd: true, data: new Uint8Array(12) }));
    fromGroup(makeFrame({ isFd: true, data: new Uint8Array(8) }));
    await nextTurn();
    expect(kernel.writtenFrames()).toEqual([]);
    expect(bridge.stats().toCan.dropped).toEqual({ fd_unsupported: 2 });
  });

  it('counts frames the CAN socket dropped (its queue full)', async () => {
    const { kernel, can, multicast, fromGroup } = await endpoints({ txQueueLimit: 2 });
    const bridge = new Bridge({ can, multicast, senderId: 'me' });
    bridge.start();
    kernel.setLink('vcan0', false);
    for (let i = 0; i < 5; i++) fromGroup(std(i));
    expect(bridge.stats().toCan).toMatchObject({ frames: 2, dropped: { queue_full: 3 } });
    kernel.setLink('vcan0', true);
    await until(() => can.state === 'up', 'the CAN side up');
    await nextTurn();
    expect(kernel.writtenFrames().map((f) => f.arbitrationId)).toEqual([0, 1]);
  });

  it('stops relaying after close()', async () => {
    const { kernel, fromGroup, sentToGroup, bridge } = await setup();
    bridge.close();
    bridge.close();
    fromGroup(std(1));
    kernel.last.receive([std(2)]);
    await nextTurn();
    expect(kernel.writtenFrames()).toEqual([]);
    expect(sentToGroup()).toEqual([]);
  });
});
