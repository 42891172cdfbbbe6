/**
 * The addon's UDP socket (native/src/udp_socket.h) on real kernel sockets over loopback: batches
 * sent with one sendmmsg and read with recvmmsg, source addresses, truncation, Node-style errors,
 * idempotent close, and the metadata layout that src/multicast/udp-layout.ts reads.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createNativeUdpSocket } from '../../src/multicast/native-udp-socket.js';
import { UDP_LAYOUT } from '../../src/multicast/udp-layout.js';
import type { DatagramSource } from '../../src/multicast/multicast-bus-types.js';
import type { UdpSocket } from '../../src/multicast/udp-socket.js';
import { loadNativeBinding, nativeAddonPath } from '../../src/native/native-binding.js';
import { until } from '../support/until.js';

const execFileP = promisify(execFile);

/** Opens 20 sockets, drops them without close(), and counts this process's fds as GC runs. */
const GC_SCRIPT = `
const { readdirSync } = require('node:fs');
const { UdpSocket } = require(process.argv[1]);
const fds = () => readdirSync('/proc/self/fd').length;
const before = fds();
(function open() {
  for (let i = 0; i < 20; i++) new UdpSocket(4, { reuseAddr: true }).bind('127.0.0.1', 0);
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

const open: UdpSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function socket(type: 'udp4' | 'udp6', address: string): UdpSocket {
  const s = createNativeUdpSocket({ type });
  open.push(s);
  s.bind(address, 0);
  return s;
}

interface Got {
  text: string;
  source: DatagramSource;
  truncated: boolean;
}

function collect(rx: UdpSocket): { got: Got[]; batches: number[]; errors: Error[] } {
  const got: Got[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  rx.startReading(
    {
      datagram: (payload, source, truncated) =>
        got.push({ text: Buffer.from(payload).toString('latin1'), source, truncated }),
      batch: (count) => batches.push(count),
    },
    (err) => errors.push(err),
  );
  return { got, batches, errors };
}

/** `count` datagrams "d0", "d1", ... packed back to back. */
function pack(count: number): { data: Uint8Array; lengths: Uint32Array } {
  const parts = Array.from({ length: count }, (_, i) => Buffer.from(`d${i}`));
  return {
    data: Buffer.concat(parts),
    lengths: Uint32Array.from(parts.map((p) => p.length)),
  };
}

describe('the addon UDP metadata layout', () => {
  it('is what src/multicast/udp-layout.ts reads', () => {
    expect(loadNativeBinding().udpLayout).toEqual({ ...UDP_LAYOUT });
  });
});

describe.each([
  ['IPv4', 'udp4', '127.0.0.1'],
  ['IPv6', 'udp6', '::1'],
] as const)('native UDP socket over %s loopback', (family, type, loopback) => {
  it('sends a batch with one call and receives it in batches, in order, with the source', async () => {
    const rx = socket(type, loopback);
    const tx = socket(type, loopback);
    tx.connect(loopback, rx.localAddress().port);
    const { got, batches, errors } = collect(rx);
    // 150 small datagrams fit the default receive buffer (about 1 KiB of kernel memory each).
    const { data, lengths } = pack(150);
    // Two calls: datagrams 0..49, then 50..149 (the offset of `first` is found from `lengths`).
    expect(tx.send(data, lengths, 0, 50)).toBe(50);
    expect(tx.send(data, lengths, 50, 100)).toBe(100);
    expect(tx.sendErrno).toBe(0);
    await until(() => got.length === 150);
    expect(got.map((g) => g.text)).toEqual(Array.from({ length: 150 }, (_, i) => `d${i}`));
    expect(got[0]?.source).toEqual({
      address: loopback,
      port: tx.localAddress().port,
      family,
      size: 2,
    });
    expect(batches.reduce((a, b) => a + b, 0)).toBe(150);
    // Read in batches, not one wake-up per datagram.
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    expect(rx.kernelDrops()).toBe(0);
  });

  it('counts what the kernel dropped when the receive buffer overflowed (SO_RXQ_OVFL)', async () => {
    const rx = socket(type, loopback);
    rx.setRecvBufferSize(4096);
    const tx = socket(type, loopback);
    tx.connect(loopback, rx.localAddress().port);
    const { data, lengths } = pack(1000);
    // Sent before the receiver can read (same event-loop turn): most cannot fit.
    expect(tx.send(data, lengths, 0, 1000)).toBe(1000);
    const { got } = collect(rx);
    await until(() => got.length > 0 && got.length + rx.kernelDrops() === 1000);
    expect(rx.kernelDrops()).toBeGreaterThan(0);
    // What arrived is in order: the kernel drops at the tail, never reorders.
    const ids = got.map((g) => Number(g.text.slice(1)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('sends to a destination without connect, and flags a datagram longer than python-can reads', async () => {
    const rx = socket(type, loopback);
    const tx = socket(type, loopback);
    const { got } = collect(rx);
    const big = new Uint8Array(5000).fill(0x41);
    const to = { address: loopback, port: rx.localAddress().port };
    expect(tx.send(big, Uint32Array.of(5000), 0, 1, to)).toBe(1);
    expect(tx.send(Buffer.from('ok'), Uint32Array.of(2), 0, 1, to)).toBe(1);
    await until(() => got.length === 2);
    expect(got[0]?.truncated).toBe(true);
    expect(got[0]?.source.size).toBeLessThanOrEqual(UDP_LAYOUT.slotSize);
    expect(got[1]).toMatchObject({ text: 'ok', truncated: false });
  });

  it('an unconnected send without a destination fails with sendErrno, nothing thrown', () => {
    const tx = socket(type, loopback);
    const { data, lengths } = pack(1);
    expect(tx.send(data, lengths, 0, 1)).toBe(0);
    expect(tx.sendErrno).toBe(-89); // EDESTADDRREQ
  });
});

describe('native UDP socket errors and close', () => {
  it('throws Node-style system errors with code, errno and syscall', () => {
    const s = createNativeUdpSocket({ type: 'udp4' });
    open.push(s);
    expect(() => s.bind('192.0.2.1', 0)).toThrow(
      expect.objectContaining({ code: 'EADDRNOTAVAIL', errno: -99, syscall: 'bind' }),
    );
    expect(() => s.bind('not an address', 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => s.addMembership('10.0.0.1', '')).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'addMembership' }),
    );
  });

  it('shares a port between SO_REUSEADDR sockets and refuses one without (python-can 4.1 sets it)', () => {
    const a = createNativeUdpSocket({ type: 'udp4', reuseAddr: true });
    open.push(a);
    a.bind('127.0.0.1', 0);
    const port = a.localAddress().port;
    const b = createNativeUdpSocket({ type: 'udp4' });
    open.push(b);
    expect(() => b.bind('127.0.0.1', port)).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE' }),
    );
    const c = createNativeUdpSocket({ type: 'udp4', reuseAddr: true });
    open.push(c);
    expect(() => c.bind('127.0.0.1', port)).not.toThrow();
  });

  it('close is idempotent and a closed socket refuses calls with ERR_SOCKET_CLOSED', () => {
    const s = socket('udp4', '127.0.0.1');
    s.close();
    s.close();
    const { data, lengths } = pack(1);
    expect(() => s.send(data, lengths, 0, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }),
    );
    expect(s.kernelDrops()).toBe(0);
  });

  it('closes the fd of a socket that was garbage-collected without close()', async () => {
    const { stdout } = await execFileP(process.execPath, [
      '--expose-gc',
      '-e',
      GC_SCRIPT,
      nativeAddonPath(),
    ]);
    const r = JSON.parse(stdout) as { before: number; opened: number; after: number };
    expect(r.opened).toBe(r.before + 20);
    expect(r.after).toBe(r.before);
  });

  it('checks send arguments instead of reading past the buffer', () => {
    const s = socket('udp4', '127.0.0.1');
    s.connect('127.0.0.1', 9);
    expect(() => s.send(new Uint8Array(4), Uint32Array.of(8), 0, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => s.send(new Uint8Array(4), Uint32Array.of(4), 0, 2)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
