// The own-echo socket filter (src/multicast/own-echo-filter.ts) on real kernel sockets over
// loopback: the kernel drops exactly the datagrams from our send port AND a listed local address.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ownEchoFilterProgram } from '../../src/multicast/own-echo-filter.js';
import { createNativeUdpSocket } from '../../src/multicast/native-udp-socket.js';
import type { UdpSocket } from '../../src/multicast/udp-socket.js';
import { loadNativeBinding } from '../../src/native/native-binding.js';

const sockets: Socket[] = [];
const receivers: UdpSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of receivers.splice(0)) s.close();
});

/** The receiving side: the addon's socket, as the bus uses it. */
function receiver(type: 'udp4' | 'udp6', address: string): UdpSocket {
  const s = createNativeUdpSocket({ type });
  receivers.push(s);
  s.bind(address, 0);
  return s;
}

async function bound(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  const s = createSocket(type);
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  return s;
}

/** Sends `n` datagrams from each sender to `rx`, then returns the source ports rx received. */
async function exchange(
  rx: UdpSocket,
  senders: Socket[],
  n: number,
  address: string,
): Promise<number[]> {
  const ports: number[] = [];
  rx.startReading(
    { datagram: (_msg, source) => ports.push(source.port), batch: () => undefined },
    (err) => {
      throw err;
    },
  );
  for (const tx of senders) {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) =>
        tx.send(Buffer.of(i), rx.localAddress().port, address, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
  }
  // A marker from the last sender closes the exchange: everything before it was delivered (or not).
  const marker = senders[senders.length - 1] as Socket;
  const before = ports.length;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (ports.length > before || Date.now() > deadline) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
    const deadline = Date.now() + 2000;
    marker.send(Buffer.of(0xff), rx.localAddress().port, address);
  });
  return ports;
}

describe.each([
  ['IPv4', 'udp4', '127.0.0.1'],
  ['IPv6', 'udp6', '::1'],
] as const)('own-echo socket filter over %s loopback', (family, type, loopback) => {
  it('drops datagrams from the send port and a local address, keeps every other', async () => {
    const rx = receiver(type, loopback);
    const own = await bound(type, loopback);
    const other = await bound(type, loopback);
    const program = ownEchoFilterProgram({
      family,
      sendPort: own.address().port,
      localAddresses: ['0.0.0.0', '::', '192.0.2.7', 'fe80::1', loopback],
    });
    expect(program).not.toBeNull();
    rx.attachFilter(program as Uint8Array);
    const ports = await exchange(rx, [own, other], 20, loopback);
    expect(ports.filter((p) => p === own.address().port)).toEqual([]);
    // 20 from the other socket plus its marker.
    expect(ports.filter((p) => p === other.address().port)).toHaveLength(21);
  });

  it('keeps datagrams from the send port when their source address is not listed', async () => {
    const rx = receiver(type, loopback);
    const own = await bound(type, loopback);
    const program = ownEchoFilterProgram({
      family,
      sendPort: own.address().port,
      localAddresses: family === 'IPv4' ? ['192.0.2.7'] : ['2001:db8::7'],
    });
    rx.attachFilter(program as Uint8Array);
    const ports = await exchange(rx, [own], 10, loopback);
    expect(ports).toHaveLength(11);
  });
});

describe('ownEchoFilterProgram and attachSocketFilter', () => {
  it('builds nothing without an address of the family, or with too many', () => {
    expect(
      ownEchoFilterProgram({ family: 'IPv6', sendPort: 1, localAddresses: ['10.0.0.1'] }),
    ).toBeNull();
    const many = Array.from({ length: 100 }, (_, i) => `10.0.${i}.1`);
    expect(ownEchoFilterProgram({ family: 'IPv4', sendPort: 1, localAddresses: many })).toBeNull();
  });

  it('reports a refused program as a Node-style error with code, errno and syscall', () => {
    const rx = receiver('udp4', '127.0.0.1');
    // A lone `ld` with no `ret` is not a valid classic program: the kernel answers EINVAL.
    const bad = new Uint8Array(8);
    let caught: unknown;
    try {
      rx.attachFilter(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'EINVAL', syscall: 'setsockopt', errno: -22 });
    expect(() => loadNativeBinding().attachSocketFilter(-1, new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});
