/**
 * SystemdNotifier against a real AF_UNIX datagram socket standing in for $NOTIFY_SOCKET, in both
 * of sd_notify(3)'s address forms: a path and an abstract socket ("@name").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MulticastBus } from '../../../src/multicast/multicast-bus.js';
import { nativeNotifySend } from '../../../src/systemd/sd-notify-send.js';
import { SystemdNotifier } from '../../../src/systemd/notify.js';
import { runCliInProcess } from '../../support/cli-harness.js';
import { fakeCanSocketFactory } from '../../support/fake-endpoints.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { fakeSocketFactory } from '../../support/fake-udp-socket.js';
import { NotifySocketReceiver, receivedSoFar } from './notify-socket-receiver.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-notify-${process.pid}-`));
const receivers: NotifySocketReceiver[] = [];
afterAll(() => {
  for (const r of receivers) r.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

let serial = 0;
async function receiver(form: 'path' | 'abstract'): Promise<NotifySocketReceiver> {
  const name = `n${++serial}`;
  const address =
    form === 'path' ? join(dir, `${name}.sock`) : `@cmb-notify-test-${process.pid}-${name}`;
  const r = new NotifySocketReceiver(address);
  receivers.push(r);
  await r.start();
  return r;
}

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(['path', 'abstract'] as const)('SystemdNotifier on a %s socket', (form) => {
  it('sends READY=1 with STATUS only when ready() is called', async () => {
    const r = await receiver(form);
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: r.address },
      logger: logCapture().logger,
    });
    expect(notifier.enabled).toBe(true);
    expect(await receivedSoFar(r, nativeNotifySend)).toEqual([]);
    notifier.ready('bridging vcan0\nand a group');
    expect(await receivedSoFar(r, nativeNotifySend)).toEqual([
      'READY=1\nSTATUS=bridging vcan0 and a group',
    ]);
    notifier.status('still here');
    notifier.stopping();
    notifier.close();
    notifier.status('after close');
    expect(await receivedSoFar(r, nativeNotifySend)).toEqual([
      'READY=1\nSTATUS=bridging vcan0 and a group',
      'STATUS=still here',
      'STOPPING=1',
    ]);
    expect(notifier.stats()).toEqual({ sent: 3, errors: 0, watchdogPings: 0 });
  });

  it('pings WATCHDOG=1 every half WATCHDOG_USEC after ready, until close', async () => {
    const r = await receiver(form);
    // Only the interval is faked: the receiver's output still arrives in real time. Drained often,
    // as a Unix datagram socket queues at most net.unix.max_dgram_qlen (10) datagrams; beyond
    // that a non-blocking send fails with EAGAIN (counted as an error, as it would be in service).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let got: string[] = [];
    const drain = async (): Promise<void> => {
      got = await receivedSoFar(r, nativeNotifySend); // everything so far
    };
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: r.address, WATCHDOG_USEC: '200000', WATCHDOG_PID: '4242' },
      logger: logCapture().logger,
      pid: 4242,
    });
    expect(notifier.watchdogTimeoutMs).toBe(200);
    vi.advanceTimersByTime(1000);
    expect(notifier.stats().watchdogPings).toBe(0); // nothing before READY
    notifier.ready();
    vi.advanceTimersByTime(99);
    expect(notifier.stats().watchdogPings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(notifier.stats().watchdogPings).toBe(1);
    await drain();
    // One period at a time, draining after each: a receiver slowed by a loaded machine must never
    // see more than max_dgram_qlen datagrams queued (seen in CI-like runs at load 13).
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(100);
      await drain();
    }
    expect(notifier.stats().watchdogPings).toBe(10);
    notifier.stopping();
    vi.advanceTimersByTime(100); // still pinging while the bridge flushes
    notifier.close();
    vi.advanceTimersByTime(1000);
    await drain();
    expect(got).toEqual([
      'READY=1',
      ...Array<string>(10).fill('WATCHDOG=1'),
      'STOPPING=1',
      'WATCHDOG=1',
    ]);
    expect(notifier.stats()).toEqual({ sent: 13, errors: 0, watchdogPings: 11 });
  });

  it('pings from the event loop in real time, and a blocked loop misses its pings', async () => {
    const r = await receiver(form);
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: r.address, WATCHDOG_USEC: '100000' },
      logger: logCapture().logger,
    });
    notifier.ready();
    await new Promise((resolve) => setTimeout(resolve, 520));
    // ~10 pings in 520 ms at 50 ms; a loaded machine runs timers late, never early.
    const pings = notifier.stats().watchdogPings;
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(pings).toBeLessThanOrEqual(10);
    const before = notifier.stats().watchdogPings;
    const until = Date.now() + 300;
    while (Date.now() < until); // block the loop for 6 periods
    expect(notifier.stats().watchdogPings).toBe(before);
    notifier.close();
    const got = await receivedSoFar(r, nativeNotifySend);
    expect(got[0]).toBe('READY=1');
    expect(got.slice(1)).toEqual(Array<string>(before).fill('WATCHDOG=1'));
  });
});

describe('SystemdNotifier', () => {
  it('does nothing without NOTIFY_SOCKET (and never loads the sender)', () => {
    const send = vi.fn();
    for (const env of [{}, { NOTIFY_SOCKET: '' }, { WATCHDOG_USEC: '1000000' }]) {
      vi.useFakeTimers();
      const notifier = new SystemdNotifier({ env, logger: logCapture().logger, send });
      expect(notifier.enabled).toBe(false);
      expect(notifier.watchdogTimeoutMs).toBeNull();
      notifier.ready('x');
      notifier.status('y');
      vi.advanceTimersByTime(10_000);
      notifier.stopping();
      notifier.close();
      expect(vi.getTimerCount()).toBe(0);
      vi.useRealTimers();
    }
    expect(send).not.toHaveBeenCalled();
  });

  it.each([
    ['a path nobody listens on', () => join(dir, 'nobody.sock'), 'ENOENT'],
    ['an abstract name nobody listens on', () => `@cmb-nobody-${process.pid}`, 'ECONNREFUSED'],
    ['an unsupported address form', () => 'vsock:2:999', 'EAFNOSUPPORT'],
  ])('survives %s: counted, logged once with the errno', (_name, address, code) => {
    vi.useFakeTimers();
    const logs = logCapture();
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: address(), WATCHDOG_USEC: '1000000' },
      logger: logs.logger,
    });
    expect(() => notifier.ready('x')).not.toThrow();
    vi.advanceTimersByTime(3000);
    expect(() => notifier.stopping()).not.toThrow();
    notifier.close();
    expect(notifier.stats()).toEqual({ sent: 0, errors: 8, watchdogPings: 0 });
    const warnings = logs.lines.filter((l) => l.msg === 'cannot notify systemd');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      component: 'systemd',
      level: 40,
      err: { code, syscall: expect.any(String) as string, errno: expect.any(Number) as number },
    });
  });
});

describe('run with $NOTIFY_SOCKET (in-process, on the native-level CAN and UDP fakes)', () => {
  it('sends READY=1 after both sides are open and STOPPING=1 on the stop signal', async () => {
    const r = await receiver('abstract');
    const kernel = new FakeKernel();
    kernel.addInterface('vcan0');
    const cans = fakeCanSocketFactory(kernel);
    const { factory } = fakeSocketFactory();
    let startedBeforeReady = false;
    let readyHook = false;
    const run = runCliInProcess(
      ['run', '--can', 'vcan0', '--group', '239.74.163.2', '--log-level', 'silent'],
      undefined,
      {
        env: { NOTIFY_SOCKET: r.address, WATCHDOG_USEC: '60000000' },
        daemonDeps: {
          createCanSocket: cans.factory,
          createMulticast: (options, deps) => {
            const bus = new MulticastBus(options, { ...deps, socketFactory: factory });
            const start = bus.start.bind(bus);
            // The multicast side opens last: nothing may have been sent to systemd before it is.
            bus.start = async () => {
              await start();
              startedBeforeReady = r.messages.length === 0;
            };
            return bus;
          },
        },
        onReady: () => (readyHook = true),
      },
    );
    const [first] = await r.waitForCount(1);
    expect(first).toBe('READY=1\nSTATUS=bridging vcan0 and 239.74.163.2 port 43113');
    await settle();
    expect(readyHook).toBe(true);
    expect(startedBeforeReady).toBe(true);
    run.abort();
    expect(await run.exit).toBe(0);
    expect(await receivedSoFar(r, nativeNotifySend)).toEqual([first, 'STOPPING=1']);
  });
});
