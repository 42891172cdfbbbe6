// The metrics endpoint of a Daemon on the real CanSocket and MulticastBus over the native-level
// fakes (test/support/fake-kernel.ts, fake-udp-socket.ts), served on 127.0.0.1 port 0 only.
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Daemon } from '../../../src/daemon/daemon.js';
import { errorCode } from '../../../src/errors.js';
import { makeFrame } from '../../../src/frame.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { runCliInProcess } from '../../support/cli-harness.js';
import { fakeDaemon } from '../../support/fake-daemon.js';
import { fakeBusFactory, fakeCanSocketFactory } from '../../support/fake-endpoints.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { fakeSocketFactory } from '../../support/fake-udp-socket.js';
import type { FakeUdpSocket } from '../../support/fake-udp-socket.js';
import { DROP_REASONS } from '../../../src/metrics/drop-reasons.js';
import { nextTurn } from '../../support/loop-turn.js';
import { until } from '../../support/until.js';

const daemons: Daemon[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function build(overrides: Record<string, unknown> = {}) {
  const built = fakeDaemon(overrides);
  daemons.push(built.daemon);
  return built;
}

const ENABLED = { 'metrics.enabled': true, 'metrics.host': '127.0.0.1', 'metrics.port': 0 };

async function get(daemon: Daemon, path: string): Promise<{ status: number; body: string }> {
  const address = daemon.metricsAddress;
  if (address === null) throw new Error('metrics endpoint not listening');
  const res = await fetch(`http://127.0.0.1:${address.port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one sample line, e.g. `cmb_frames_total{direction="to_can"}`; undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function rxTx(sockets: FakeUdpSocket[]): [FakeUdpSocket, FakeUdpSocket] {
  const [rx, tx] = sockets;
  if (rx === undefined || tx === undefined) throw new Error('no sockets');
  return [rx, tx];
}

const std = (id: number, data: number[], channel: string | null = null) =>
  makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.from(data), channel });

describe('Daemon metrics endpoint', () => {
  it('is off by default: no server, no address', async () => {
    const config = loadConfig({ env: {}, hostname: 'test' });
    expect(config.metrics).toEqual({ enabled: false, host: '127.0.0.1', port: 9464 });
    const { daemon } = build();
    await daemon.start();
    expect(daemon.metricsAddress).toBeNull();
  });

  it('serves counters, drops, queue, state and last-frame ages after frames flow', async () => {
    const { daemon, kernel, sockets } = build(ENABLED);
    await daemon.start();
    expect(daemon.metricsAddress?.address).toBe('127.0.0.1');
    const [rx] = rxTx(sockets);
    const before = await get(daemon, '/metrics');
    expect(sample(before.body, 'cmb_frames_total{direction="to_can"}')).toBe(0);
    expect(before.body).not.toContain('cmb_last_frame_age_seconds{');
    // Issue 12: every direction and reason has its series at 0 before the first drop (rate()
    // over an absent series is "no data", so an alert would not fire on the first drops).
    for (const [direction, reasons] of Object.entries(DROP_REASONS)) {
      for (const reason of reasons) {
        const series = `cmb_dropped_total{direction="${direction}",reason="${reason}"}`;
        expect([series, sample(before.body, series)]).toEqual([series, 0]);
      }
    }
    expect(DROP_REASONS.to_multicast).toEqual(
      expect.arrayContaining(['disabled', 'filtered', 'error_frame', 'invalid', 'send_failed']),
    );
    expect(DROP_REASONS.to_can).toEqual(
      expect.arrayContaining(['own_sender_id', 'queue_full', 'bus_off', 'not_a_map', 'own_echo']),
    );

    kernel.last.receive([std(0x100, [1, 2, 3]), std(0x101, [4])]);
    const from = { address: '10.0.0.2', port: 43113 };
    rx.receive(encodeFrame(std(0x200, [1, 2, 3, 4, 5], 'python')), from);
    rx.receive(encodeFrame(std(0x201, [1], 'me')), from); // own sender id
    rx.receive(Uint8Array.of(0xc1), from); // not msgpack
    await nextTurn(); // the CAN socket writes once per event-loop turn
    kernel.last.drops = 7; // the socket's SO_RXQ_OVFL count
    kernel.setLink('vcan0', false);
    rx.receive(encodeFrame(std(0x202, [9, 9], 'python')), from); // queued while down
    // The socket's kernel drop count: our 2 sent datagrams come back and the own-echo filter drops
    // them, and 3 were lost to a full receive buffer.
    rx.drops = 2 + 3;

    const { status, body } = await get(daemon, '/metrics');
    expect(status).toBe(200);
    const expected: [string, number][] = [
      ['cmb_frames_total{direction="to_multicast"}', 2],
      ['cmb_frames_total{direction="to_can"}', 2],
      ['cmb_bytes_total{direction="to_multicast"}', 4],
      ['cmb_bytes_total{direction="to_can"}', 7],
      ['cmb_dropped_total{direction="to_can",reason="own_sender_id"}', 1],
      ['cmb_dropped_total{direction="to_can",reason="not_a_map"}', 1],
      ['cmb_multicast_datagrams_total', 4],
      ['cmb_multicast_rejoins_total', 0],
      ['cmb_multicast_kernel_drops_total', 3],
      ['cmb_tx_queue_frames', 1],
      ['cmb_tx_queue_capacity_frames', 50],
      ['cmb_can_kernel_drops_total', 7],
      ['cmb_can_state{interface="vcan0",state="down"}', 1],
      ['cmb_can_state{interface="vcan0",state="up"}', 0],
      ['cmb_multicast_state{state="open"}', 1],
      ['cmb_healthy', 0],
    ];
    for (const [series, value] of expected)
      expect([series, sample(body, series)]).toEqual([series, value]);
    for (const direction of ['to_multicast', 'to_can']) {
      const age = sample(body, `cmb_last_frame_age_seconds{direction="${direction}"}`);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(30);
    }
    expect(body).toContain('# TYPE cmb_frames_total counter');
    expect(body).toContain('# TYPE cmb_tx_queue_frames gauge');
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('answers /healthz 200 when both sides are open and 503 naming the CAN side when it is down', async () => {
    const { daemon, kernel, can } = build(ENABLED);
    await daemon.start();
    const ok = await get(daemon, '/healthz');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({
      status: 'ok',
      problems: [],
      can: { interface: 'vcan0', state: 'up' },
      multicast: { state: 'open', group: '239.74.163.2' },
    });

    kernel.setLink('vcan0', false);
    const down = await get(daemon, '/healthz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({
      status: 'unavailable',
      problems: ['CAN interface vcan0 is down'],
    });

    kernel.setLink('vcan0', true);
    await until(() => can().state === 'up', 'the CAN side up'); // seen at the next poll
    expect((await get(daemon, '/healthz')).status).toBe(200);
  });

  it('reports the bus state from error frames without judging it', async () => {
    const { daemon, kernel } = build(ENABLED);
    await daemon.start();
    const before = await get(daemon, '/metrics');
    expect(sample(before.body, 'cmb_can_bus_state{interface="vcan0",state="error-active"}')).toBe(
      1,
    );
    // linux/can/error.h CAN_ERR_BUSOFF (0x40): the controller went bus-off.
    kernel.last.receive([
      makeFrame({
        arbitrationId: 0x40,
        isExtendedId: false,
        isErrorFrame: true,
        data: new Uint8Array(8),
      }),
    ]);
    const { body } = await get(daemon, '/metrics');
    expect(sample(body, 'cmb_can_bus_state{interface="vcan0",state="bus-off"}')).toBe(1);
    expect(sample(body, 'cmb_can_bus_state{interface="vcan0",state="error-active"}')).toBe(0);
    const health = await get(daemon, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ can: { state: 'up', busState: 'bus-off' } });
  });

  it('reports the multicast side closed once the bus is gone', async () => {
    const { daemon } = build(ENABLED);
    await daemon.start();
    const report = daemon.health();
    expect(report.multicast.state).toBe('open');
    await daemon.close();
    expect(daemon.health()).toMatchObject({
      can: { state: 'closed' },
      multicast: { state: 'closed' },
    });
  });

  it('stops listening on close()', async () => {
    const { daemon } = build(ENABLED);
    await daemon.start();
    const port = daemon.metricsAddress?.port;
    await daemon.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('rejects start() with ERR_METRICS_LISTEN when the port is in use and closes both sides', async () => {
    const port = await busyPort();
    const { daemon, can } = build({ ...ENABLED, 'metrics.port': port });
    const err: unknown = await daemon.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(errorCode(err)).toBe('ERR_METRICS_LISTEN');
    expect((err as Error).message).toBe(
      `cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    );
    expect(can().state).toBe('closed');
    expect(daemon.health().multicast.state).toBe('closed');
  });

  it('makes `run` exit 69 with one line when the metrics port is in use', async () => {
    const port = await busyPort();
    const kernel = new FakeKernel();
    kernel.addInterface('vcan0');
    const cans = fakeCanSocketFactory(kernel);
    const { factory } = fakeSocketFactory();
    const run = runCliInProcess(
      [
        'run',
        '--can',
        'vcan0',
        '--group',
        '239.74.163.2',
        '--set',
        'metrics.enabled=true',
        '--set',
        `metrics.port=${port}`,
      ],
      undefined,
      {
        createLogger: () => pino({ level: 'silent' }),
        daemonDeps: {
          createCanSocket: cans.factory,
          createMulticast: fakeBusFactory(factory),
        },
      },
    );
    expect(await run.exit).toBe(69);
    expect(run.stderr()).toMatch(
      new RegExp(
        `^can-multicast-bridge run: cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`,
      ),
    );
  });
});

/** A port on 127.0.0.1 that a server of this test holds. */
async function busyPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
