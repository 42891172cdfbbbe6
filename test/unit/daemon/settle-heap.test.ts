// The daemon's one full garbage collection after start-up (DaemonDeps.settleHeap): over the
// native-level fakes, it runs once, after both endpoints are open and before 'ready'.
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../../src/daemon/daemon.js';
import { fakeDaemon } from '../../support/fake-daemon.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close();
});

function build(settleHeap?: () => void) {
  const built = fakeDaemon({}, settleHeap === undefined ? {} : { settleHeap });
  daemons.push(built.daemon);
  return built;
}

describe('Daemon settleHeap', () => {
  it('runs once, with both endpoints open, before ready', async () => {
    const seen: string[] = [];
    const { daemon, cans, sockets } = build(() => {
      seen.push(`settle can=${cans.sockets.length} udp=${sockets.length}`);
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
