// The daemon's one full garbage collection after start-up (DaemonDeps.settleHeap): over the
// native-level fakes, it runs once, after both endpoints are open and before 'ready'.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import { fakeCanSocketFactory } from '../../support/fake-endpoints.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { fakeSocketFactory, loopbackOnly } from '../../support/fake-udp-socket.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close();
});

function build(settleHeap?: () => void) {
  const config = loadConfig({
    env: {},
    hostname: 'test',
    overrides: { 'can.interface': 'vcan0', 'sender.id': 'me', 'stats.intervalMs': 0 },
  });
  const kernel = new FakeKernel();
  kernel.addInterface('vcan0');
  const cans = fakeCanSocketFactory(kernel);
  const udp = fakeSocketFactory();
  const daemon = new Daemon(config, {
    logger: pino({ level: 'silent' }),
    createCanSocket: cans.factory,
    createMulticast: (options, deps) =>
      new MulticastBus(options, {
        ...deps,
        socketFactory: udp.factory,
        networkInterfaces: loopbackOnly,
      }),
    ...(settleHeap === undefined ? {} : { settleHeap }),
  });
  daemons.push(daemon);
  return { daemon, cans, udp };
}

describe('Daemon settleHeap', () => {
  it('runs once, with both endpoints open, before ready', async () => {
    const seen: string[] = [];
    const { daemon, cans, udp } = build(() => {
      seen.push(`settle can=${cans.sockets.length} udp=${udp.sockets.length}`);
    });
    daemon.on('ready', () => seen.push('ready'));
    await daemon.start();
    await daemon.start();
    expect(seen).toEqual(['settle can=1 udp=2', 'ready']);
  });

  it('is optional: a daemon without it starts as before', async () => {
    const { daemon } = build();
    const ready = new Promise<void>((resolve) => daemon.once('ready', resolve));
    await daemon.start();
    await expect(ready).resolves.toBeUndefined();
  });
});
