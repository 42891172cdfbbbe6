/**
 * The addon itself on a real kernel (native/src/raw_can_socket.cc): lifecycle and misuse. The GC
 * and exception checks run in child processes (`node -e`) (node --expose-gc; a process-level handler).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeBinding, nativeAddonPath } from '../../src/native/native-binding.js';
import { addVcan, cansendAll, delLink, skipReason, uniqueIfname } from './can-helpers.js';

const skip = skipReason();
const execFileP = promisify(execFile);

/** Opens raw CAN sockets, drops them without close(), forces GC: the finalizer must close each fd. */
const GC_SCRIPT = `
const { readdirSync } = require('node:fs');
const { RawCanSocket } = require(process.argv[1]);
const iface = process.argv[2];
const fds = () => readdirSync('/proc/self/fd').length;
const before = fds();
(function open() {
  for (let i = 0; i < 20; i++) new RawCanSocket(iface, {});
})();
const opened = fds();
let rounds = 0;
function collect() {
  globalThis.gc();
  rounds++;
  if (fds() > before && rounds < 50) setImmediate(collect);
  else console.log(JSON.stringify({ before, opened, after: fds(), rounds }));
}
setImmediate(collect);
`;

/** A JS exception thrown from the batch callback must reach 'uncaughtException', not vanish. */
const THROW_SCRIPT = `
const { execFileSync } = require('node:child_process');
const { RawCanSocket } = require(process.argv[1]);
const iface = process.argv[2];
const sock = new RawCanSocket(iface, {});
process.on('uncaughtException', (err) => {
  console.log(JSON.stringify({ caught: err.message }));
  sock.close();
  sock.close();
  process.exit(0);
});
sock.startReading(
  () => {
    throw new Error('thrown from onBatch');
  },
  (err) => console.log(JSON.stringify({ socketError: err.code })),
);
execFileSync('cansend', [iface, '123#01']);
setTimeout(() => {
  console.log(JSON.stringify({ caught: null }));
  process.exit(1);
}, 20000);
`;

describe.skipIf(skip !== null)('RawCanSocket (addon) on a real vcan', () => {
  const iface = uniqueIfname('rw');

  beforeAll(async () => {
    await addVcan(iface, 72);
  });

  afterAll(async () => {
    await delLink(iface);
  });

  it('reports open facts and closes idempotently; methods after close throw a coded error', () => {
    const { RawCanSocket } = loadNativeBinding();
    const s = new RawCanSocket(iface, {
      fdFrames: true,
      receiveBufferBytes: 100_000,
      batchSize: 16,
    });
    expect(s.ifindex).toBeGreaterThan(0);
    expect(s.mtu).toBe(72);
    expect(s.batchSize).toBe(16);
    expect(s.rxBuffer.byteLength).toBe(16 * loadNativeBinding().layout.recordSize);
    // socket(7): the kernel doubles SO_RCVBUF; SO_RCVBUFFORCE lets root exceed rmem_max.
    expect(s.receiveBufferBytes).toBe(200_000);
    expect(s.closed).toBe(false);
    s.close();
    s.close();
    expect(s.closed).toBe(true);
    expect(() => s.send(new Uint8Array(80), 1)).toThrow(
      expect.objectContaining({ code: 'ERR_CAN_SOCKET_CLOSED' }),
    );
    expect(() =>
      s.startReading(
        () => undefined,
        () => undefined,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_CAN_SOCKET_CLOSED' }));
    expect(() => s.stopReading()).not.toThrow();
  });

  it('rejects bad send arguments without crashing', () => {
    const { RawCanSocket } = loadNativeBinding();
    const s = new RawCanSocket(iface, {});
    try {
      const call = s.send.bind(s) as (...args: unknown[]) => number;
      expect(() => call('x', 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => call(new Uint16Array(80), 1)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
      expect(() => call(new Uint8Array(80), 2)).toThrow(
        expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
      );
      expect(() => call(new Uint8Array(80), -1)).toThrow(
        expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
      );
      expect(() => call(new Uint8Array(80), 0.5)).toThrow(
        expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
      );
      // A slot whose size byte is neither 16 nor 72 is refused by the addon as EINVAL.
      expect(call(new Uint8Array(80), 1)).toBe(0);
      expect(s.sendErrno).toBe(-22);
      expect(call(new Uint8Array(80), 0)).toBe(0);
      expect(() => s.waitWritable(5 as unknown as null)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    } finally {
      s.close();
    }
  });

  it('can be closed from inside its own batch callback', async () => {
    const { RawCanSocket } = loadNativeBinding();
    const s = new RawCanSocket(iface, {});
    const counts: number[] = [];
    const done = new Promise<void>((resolve) => {
      s.startReading(
        (n) => {
          counts.push(n);
          s.close();
          setTimeout(resolve, 200);
        },
        () => undefined,
      );
    });
    await cansendAll(iface, ['100#01', '100#02']);
    await done;
    expect(counts.length).toBe(1);
    expect(s.closed).toBe(true);
  });

  it('closes the fd of a socket that was garbage-collected without close()', async () => {
    const { stdout } = await execFileP(process.execPath, [
      '--expose-gc',
      '-e',
      GC_SCRIPT,
      nativeAddonPath(),
      iface,
    ]);
    const r = JSON.parse(stdout) as { before: number; opened: number; after: number };
    expect(r.opened).toBe(r.before + 20);
    expect(r.after).toBe(r.before);
  });

  it('surfaces an exception thrown by the batch callback as uncaughtException', async () => {
    const { stdout } = await execFileP(process.execPath, [
      '-e',
      THROW_SCRIPT,
      nativeAddonPath(),
      iface,
    ]);
    expect(stdout).toContain('"caught":"thrown from onBatch"');
  });
});
