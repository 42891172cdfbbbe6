/**
 * A `Daemon` on the real CanSocket and MulticastBus over the native-level fakes (fake-kernel.ts with
 * vcan0, fake-udp-socket.ts on loopback), from a config of test defaults plus `overrides`.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import type { DaemonDeps } from '../../src/daemon/daemon.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { fakeBusFactory, fakeCanSocketFactory } from './fake-endpoints.js';
import { FakeKernel } from './fake-kernel.js';
import { fakeSocketFactory } from './fake-udp-socket.js';

export function fakeDaemon(
  overrides: Record<string, unknown> = {},
  deps: Pick<DaemonDeps, 'settleHeap'> = {},
) {
  const config = loadConfig({
    env: {},
    hostname: 'test',
    overrides: {
      'can.interface': 'vcan0',
      'multicast.group': '239.74.163.2',
      'multicast.port': 43113,
      'sender.id': 'me',
      'stats.intervalMs': 0,
      'txQueue.size': 50,
      ...overrides,
    },
  });
  const kernel = new FakeKernel();
  kernel.addInterface('vcan0');
  const cans = fakeCanSocketFactory(kernel);
  const can = cans.first;
  const { factory, sockets } = fakeSocketFactory();
  const daemon = new Daemon(config, {
    logger: pino({ level: 'silent' }),
    createCanSocket: cans.factory,
    createMulticast: fakeBusFactory(factory),
    ...deps,
  });
  return { daemon, kernel, can, cans, sockets };
}
