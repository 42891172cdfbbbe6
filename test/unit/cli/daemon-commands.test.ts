import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { runCliInProcess } from '../../support/cli-harness.js';
import { fakeBusFactory, fakeCanSocketFactory } from '../../support/fake-endpoints.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { fakeSocketFactory } from '../../support/fake-udp-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'cmb-cli-'));
function configFile(content: unknown): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

/** JSON log lines captured from the daemon's logger. */
function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, createLogger: () => pino({ level: 'info' }, stream) };
}

describe('check-config', () => {
  it('prints the effective config of a valid file with command-line overrides applied', async () => {
    const run = runCliInProcess([
      'check-config',
      configFile({ can: { interface: 'vcan7' } }),
      '--port',
      '5000',
      '--set',
      'txQueue.size=77',
    ]);
    expect(await run.exit).toBe(0);
    const cfg = JSON.parse(run.stdout()) as {
      can: { interface: string };
      multicast: { port: number };
      txQueue: { size: number };
    };
    expect(cfg.can.interface).toBe('vcan7');
    expect(cfg.multicast.port).toBe(5000);
    expect(cfg.txQueue.size).toBe(77);
  });

  it.each([
    [{ can: { interfaces: 'vcan0' } }, 'can.interfaces'],
    [{ multicast: { group: '10.1.2.3' } }, 'multicast.group'],
    [{ multicast: { port: 'x' } }, 'multicast.port'],
    [{ toCan: { filters: ['12G:7ff'] } }, 'toCan.filters'],
    ['{ not json', 'JSON'],
  ])('exits 78 naming the bad key for %j', async (content, key) => {
    const run = runCliInProcess(['check-config', configFile(content)]);
    expect(await run.exit).toBe(78);
    expect(run.stderr()).toContain(key);
    expect(run.stdout()).toBe('');
  });

  // Issue 12: run warned about a misspelt CMB_* variable, check-config said nothing.
  it('reports a CMB_* variable no key reads as run does, naming the likely one', async () => {
    const run = runCliInProcess(['check-config'], undefined, {
      env: { CMB_MULTICAST_GRUOP: '239.1.2.3', CMB_CAN_INTERFACE: 'vcan3', CMBTEST_IN_VM: '1' },
    });
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toBe(
      'can-multicast-bridge check-config: warning: unknown environment variable CMB_MULTICAST_GRUOP ignored (did you mean CMB_MULTICAST_GROUP?)\n',
    );
    expect((JSON.parse(run.stdout()) as { can: { interface: string } }).can.interface).toBe(
      'vcan3',
    );
  });

  it('exits 78 for a missing file and 64 for a bad --set', async () => {
    const missing = runCliInProcess(['check-config', join(dir, 'nope.json')]);
    expect(await missing.exit).toBe(78);
    const bad = runCliInProcess(['check-config', '--set', 'novalue']);
    expect(await bad.exit).toBe(64);
    expect(bad.stderr()).toContain('--set takes KEY=VALUE');
  });
});

describe('run', () => {
  /** `run` in-process on the real CanSocket and MulticastBus over the native-level fakes. */
  function daemonRun(
    openError: Error | null = null,
    /** Whether vcan0 exists (the fake's readLink finds it), for the open error's hint. */
    vcan0Exists = true,
    extraArgs: string[] = [],
  ) {
    const kernel = new FakeKernel();
    if (vcan0Exists) kernel.addInterface('vcan0');
    kernel.openError = openError;
    const cans = fakeCanSocketFactory(kernel);
    const can = cans.first;
    const { factory, sockets } = fakeSocketFactory();
    const logs = logCapture();
    let ready = false;
    const run = runCliInProcess(
      ['run', '--can', 'vcan0', '--group', '239.74.163.2', '--sender-id', 'me', ...extraArgs],
      undefined,
      {
        createLogger: logs.createLogger,
        daemonDeps: {
          createCanSocket: cans.factory,
          createMulticast: fakeBusFactory(factory),
        },
        onReady: () => (ready = true),
      },
    );
    return { run, kernel, can, sockets, logs, ready: () => ready };
  }

  it('relays both ways, then exits 0 on a signal with a final stats line', async () => {
    const { run, kernel, sockets, logs, ready } = daemonRun();
    await waitUntil(ready);
    const [rx, tx] = sockets;
    if (rx === undefined || tx === undefined) throw new Error('no sockets');
    kernel.last.receive([
      makeFrame({
        timestamp: 3.5,
        arbitrationId: 0x123,
        isExtendedId: false,
        data: Uint8Array.of(1),
      }),
    ]);
    // The multicast side sends once per event-loop turn (one sendmmsg for a CAN read's frames).
    await new Promise((resolve) => setImmediate(resolve));
    expect(tx.sent.map((d) => decodeDatagram(d.msg))).toEqual([
      {
        ok: true,
        frame: makeFrame({
          timestamp: 3.5,
          arbitrationId: 0x123,
          isExtendedId: false,
          data: Uint8Array.of(1),
          channel: 'me',
        }),
      },
    ]);
    rx.receive(
      encodeFrame(makeFrame({ arbitrationId: 0x321, isExtendedId: false, channel: 'python' })),
      { address: '10.0.0.2', port: 43113 },
    );
    rx.receive(
      encodeFrame(makeFrame({ arbitrationId: 0x322, isExtendedId: false, channel: 'me' })),
      { address: '10.0.0.3', port: 43113 },
    );
    await new Promise((resolve) => setImmediate(resolve)); // so does the CAN side
    expect(kernel.writtenFrames().map((f) => f.arbitrationId)).toEqual([0x321]);
    run.abort();
    expect(await run.exit).toBe(0);
    const final = logs.lines.find((l) => l.msg === 'final stats');
    expect(final).toMatchObject({
      component: 'daemon',
      toMulticast: { frames: 1 },
      toCan: { frames: 1, dropped: { own_sender_id: 1 } },
    });
    expect(logs.lines.map((l) => l.msg)).toContain('bridge stopped');
  });

  // Issue 12: a script had no way to wait for readiness (the README's first cansend was lost).
  it('writes --ready-file once both sides are open and removes it at exit', async () => {
    const file = join(dir, 'ready');
    const { run, ready } = daemonRun(null, true, ['--ready-file', file]);
    await waitUntil(ready);
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    run.abort();
    expect(await run.exit).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('exits 64 with one line when --ready-file cannot be written, closing what it opened', async () => {
    const { run, can } = daemonRun(null, true, ['--ready-file', join(dir, 'no/such/dir')]);
    expect(await run.exit).toBe(64);
    expect(run.stderr()).toBe(
      `can-multicast-bridge run: cannot write --ready-file ${join(dir, 'no/such/dir')}: ENOENT\n`,
    );
    expect(can().state).toBe('closed');
  });

  it('exits 69 with one line when the CAN interface cannot be opened', async () => {
    const err = Object.assign(new Error('no such device: vcan0'), {
      code: 'ENODEV',
      errno: -19,
      syscall: 'if_nametoindex',
    });
    const { run } = daemonRun(err, false);
    expect(await run.exit).toBe(69);
    expect(run.stderr()).toBe(
      'can-multicast-bridge run: cannot open CAN interface vcan0: no such device: vcan0' +
        ' (no such interface: list the CAN ones with `ip -br link show type can` / `type vcan`)\n',
    );
  });

  // Issue 12: the kernel's ENODEV for an interface that is not CAN read "no such interface".
  it('says an existing interface is not a CAN one (ENODEV from bind)', async () => {
    const err = Object.assign(new Error('bind: no such device'), {
      code: 'ENODEV',
      errno: -19,
      syscall: 'bind',
    });
    const { run } = daemonRun(err, true);
    expect(await run.exit).toBe(69);
    expect(run.stderr()).toBe(
      'can-multicast-bridge run: cannot open CAN interface vcan0: bind: no such device' +
        ' (vcan0 exists but is not a CAN interface: list the CAN ones with `ip -br link show type can` / `type vcan`)\n',
    );
  });

  it('exits 78 for a bad config before opening anything', async () => {
    const run = runCliInProcess(['run', '--set', 'multicast.hopLimit=300']);
    expect(await run.exit).toBe(78);
    expect(run.stderr()).toContain('multicast.hopLimit');
  });
});
