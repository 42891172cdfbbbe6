import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import type { BridgeOptions } from '../../../src/bridge/bridge.js';
import { parseCanFilters } from '../../../src/can/can-filter.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { FakeCanSocket } from '../../../src/socketcan/fake-can-socket.js';
import { FakeMulticastEndpoint } from '../../support/fake-multicast-endpoint.js';

function setup(options: Partial<BridgeOptions> = {}, canFd = true) {
  const can = new FakeCanSocket({ fd: canFd });
  const multicast = new FakeMulticastEndpoint();
  const bridge = new Bridge({ can, multicast, senderId: 'host-a/vcan0', ...options });
  void can.start();
  bridge.start();
  return { can, multicast, bridge };
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
  it('sends every frame of a batch with our sender id as channel and the kernel timestamp', () => {
    const { can, multicast, bridge } = setup();
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
    can.receive(frames);
    expect(multicast.sent).toEqual(frames.map((f) => ({ ...f, channel: 'host-a/vcan0' })));
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
  ] as const)('drops when %s, counting the reason', (_name, options, frame, reason) => {
    const { can, multicast, bridge } = setup(options);
    can.receive([frame]);
    expect(multicast.sent).toEqual([]);
    expect(bridge.stats().toMulticast.dropped).toEqual({ [reason]: 1 });
  });

  it('passes a frame that a filter matches', () => {
    const { can, multicast } = setup({ toMulticast: { filters: parseCanFilters(['100:700']) } });
    can.receive([std(0x123)]);
    expect(multicast.sent).toHaveLength(1);
  });
});

describe('Bridge multicast -> CAN', () => {
  it('writes every valid frame to CAN', () => {
    const { can, multicast, bridge } = setup();
    const frames = [
      std(0x1, [], { channel: 'python' }),
      std(0x2, [9], { channel: 7 }),
      std(0x3, [1, 2, 3], { channel: null }),
    ];
    for (const f of frames) multicast.receive(f);
    expect(can.sent).toEqual(frames);
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
  ] as const)('drops for %s, counting the reason', (_name, options, frame, reason) => {
    const { can, multicast, bridge } = setup(options);
    multicast.receive(frame);
    expect(can.sent).toEqual([]);
    expect(bridge.stats().toCan.dropped).toEqual({ [reason]: 1 });
  });

  it.each([
    [9, 12],
    [13, 16],
    [33, 48],
    [63, 64],
  ])('pads a %i-byte FD frame to %i bytes of zeros for SocketCAN', (len, padded) => {
    const { can, multicast } = setup();
    const data = Uint8Array.from({ length: len }, (_, i) => i + 1);
    multicast.receive(makeFrame({ isFd: true, arbitrationId: 5, data }));
    const expected = new Uint8Array(padded);
    expected.set(data);
    expect(can.sent).toEqual([makeFrame({ isFd: true, arbitrationId: 5, data: expected })]);
  });

  it('drops FD frames for a classic interface and counts them', () => {
    const { can, multicast, bridge } = setup({}, false);
    multicast.receive(makeFrame({ isFd: true, data: new Uint8Array(12) }));
    multicast.receive(makeFrame({ isFd: true, data: new Uint8Array(8) }));
    expect(can.sent).toEqual([]);
    expect(bridge.stats().toCan.dropped).toEqual({ fd_unsupported: 2 });
  });

  it('counts frames the CAN socket dropped (its queue full)', () => {
    const can = new FakeCanSocket({ txQueueLimit: 2 });
    const multicast = new FakeMulticastEndpoint();
    const bridge = new Bridge({ can, multicast, senderId: 'me' });
    bridge.start();
    void can.start();
    can.setInterface('down');
    for (let i = 0; i < 5; i++) multicast.receive(std(i));
    expect(bridge.stats().toCan).toMatchObject({ frames: 2, dropped: { queue_full: 3 } });
    can.setInterface('up');
    expect(can.sent.map((f) => f.arbitrationId)).toEqual([0, 1]);
  });

  it('stops relaying after close()', () => {
    const { can, multicast, bridge } = setup();
    bridge.close();
    bridge.close();
    multicast.receive(std(1));
    can.receive([std(2)]);
    expect(can.sent).toEqual([]);
    expect(multicast.sent).toEqual([]);
  });
});
