// MetricsServer, health verdicts, and the relay's last-frame ages, on 127.0.0.1 port 0.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/bridge/bridge.js';
import { makeFrame } from '../../../src/frame.js';
import { createBridgeMetrics, METRIC_NAMES } from '../../../src/metrics/bridge-metrics.js';
import { assessHealth } from '../../../src/metrics/health.js';
import type { HealthSnapshot } from '../../../src/metrics/health.js';
import { MetricsServer } from '../../../src/metrics/metrics-server.js';
import { openFakeEndpoints } from '../../support/fake-endpoints.js';

const HEALTHY: HealthSnapshot = {
  can: { interface: 'vcan0', state: 'up', busState: 'error-active' },
  multicast: { group: '239.74.163.2', port: 43113, state: 'open' },
};

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(registry = new Registry(), health = () => HEALTHY) {
  const server = new MetricsServer({ host: '127.0.0.1', port: 0, registry, health });
  servers.push(server);
  await server.start();
  const port = server.address?.port ?? 0;
  return { server, url: (path: string) => `http://127.0.0.1:${port}${path}` };
}

describe('assessHealth', () => {
  it.each([
    ['up', 'open', []],
    ['down', 'open', ['CAN interface vcan0 is down']],
    ['gone', 'open', ['CAN interface vcan0 is gone']],
    ['idle', 'idle', ['CAN interface vcan0 is idle', 'multicast bus is not started']],
    ['up', 'closed', ['multicast bus is closed']],
    ['closed', 'closed', ['CAN interface vcan0 is closed', 'multicast bus is closed']],
  ] as const)('CAN %s and multicast %s give problems %j', (can, multicast, problems) => {
    const report = assessHealth({
      can: { interface: 'vcan0', state: can, busState: null },
      multicast: { group: null, port: null, state: multicast },
    });
    expect(report.problems).toEqual(problems);
    expect(report.status).toBe(problems.length === 0 ? 'ok' : 'unavailable');
  });
});

describe('MetricsServer', () => {
  // Issue 12: `/` answered 404 with an empty body.
  it('serves a page linking /metrics and /healthz at /', async () => {
    const { url } = await serve();
    const res = await fetch(url('/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toContain('<a href="metrics">/metrics</a>');
    expect(page).toContain('<a href="healthz">/healthz</a>');
  });

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    const { url } = await serve();
    const notFound = await fetch(url('/nope'));
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toBe('not found: try /metrics or /healthz\n');
    const post = await fetch(url('/metrics'), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(url('/healthz?verbose=1'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 500 when a collector throws, and keeps serving', async () => {
    const registry = createBridgeMetrics(
      {
        stats: () => {
          throw new Error('boom');
        },
        health: () => HEALTHY,
      },
      { processMetrics: false },
    );
    const { url } = await serve(registry);
    expect((await fetch(url('/metrics'))).status).toBe(500);
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('registers every documented metric name, and no samples before the bridge runs', async () => {
    const registry = createBridgeMetrics(
      { stats: () => null, health: () => HEALTHY },
      { processMetrics: false, txQueueCapacity: 10 },
    );
    const { url } = await serve(registry);
    const text = await (await fetch(url('/metrics'))).text();
    for (const name of METRIC_NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(text).not.toMatch(/^cmb_frames_total/m);
    expect(text).toMatch(/^cmb_healthy 1$/m);
    expect(text).not.toContain('process_');
  });

  it('registers exactly METRIC_NAMES, as README documents them: none missing from the list, none listed but not registered', () => {
    const registry = createBridgeMetrics(
      { stats: () => null, health: () => HEALTHY },
      { processMetrics: false, txQueueCapacity: 10 },
    );
    const registered = registry.getMetricsAsArray().map((m) => m.name);
    expect([...registered].sort()).toEqual([...METRIC_NAMES].sort());
    expect(METRIC_NAMES).toContain('cmb_multicast_rejoins_total');
    expect(METRIC_NAMES).toContain('cmb_multicast_kernel_drops_total');
    // README's metrics section documents the same names, no more and no fewer.
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect([...new Set(readme.match(/\bcmb_[a-z_]+/g))].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('close() is idempotent and start() after close() rejects', async () => {
    const { server } = await serve();
    const a = server.close();
    expect(server.close()).toBe(a);
    await a;
    await expect(server.start()).rejects.toMatchObject({ code: 'ERR_METRICS_STARTED' });
  });

  it('names an IPv6 address in brackets when it cannot listen', async () => {
    const { server } = await serve();
    const port = server.address?.port ?? 0;
    const other = new MetricsServer({
      host: '127.0.0.1',
      port,
      registry: new Registry(),
      health: () => HEALTHY,
    });
    await expect(other.start()).rejects.toMatchObject({ code: 'ERR_METRICS_LISTEN' });
    const v6 = new MetricsServer({
      host: '::ffff:1.2.3.4',
      port: 1,
      registry: new Registry(),
      health: () => HEALTHY,
    });
    await expect(v6.start()).rejects.toThrow(/^cannot serve metrics on \[::ffff:1\.2\.3\.4\]:1: /);
  });
});

describe('Bridge last-frame ages', () => {
  it('are null before the first frame and count from the last frame passed on, per direction', async () => {
    let now = 1000;
    const { kernel, can, multicast, fromGroup, destroy } = await openFakeEndpoints();
    const bridge = new Bridge({ can, multicast, senderId: 'me', nowMs: () => now });
    bridge.start();
    expect(bridge.stats().lastFrameAgeMs).toEqual({ toMulticast: null, toCan: null });
    kernel.last.receive([makeFrame({ arbitrationId: 1, isExtendedId: false })]);
    now = 1250;
    fromGroup(makeFrame({ arbitrationId: 2, isExtendedId: false, channel: 'peer' }));
    now = 1300;
    fromGroup(makeFrame({ arbitrationId: 3, isExtendedId: false, channel: 'me' })); // dropped
    now = 2000;
    expect(bridge.stats().lastFrameAgeMs).toEqual({ toMulticast: 1000, toCan: 750 });
    destroy();
  });
});
