/**
 * Both real endpoints of a relay on the native-level fakes, the serialport-mock pattern: the real
 * `CanSocket` on `FakeKernel` and the real `MulticastBus` on fake UDP sockets. Tests of the layers
 * above (Bridge, bus state, metrics) inject frames and read what went out at the kernel and socket
 * level, so each side's own policy (validation, queueing, drops, encoding) is the real one.
 */
import type { Logger } from 'pino';
import type { CanFrame } from '../../src/frame.js';
import { MulticastBus } from '../../src/multicast/multicast-bus.js';
import type {
  MulticastBusDeps,
  MulticastBusOptions,
} from '../../src/multicast/multicast-bus-types.js';
import { decodeDatagram } from '../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../src/protocol/encode-frame.js';
import { CanSocket } from '../../src/socketcan/can-socket.js';
import type { CanSocketOptions } from '../../src/socketcan/can-socket-options.js';
import { FakeKernel } from './fake-kernel.js';
import { fakeSocketFactory, loopbackOnly } from './fake-udp-socket.js';
import type { FakeUdpSocket } from './fake-udp-socket.js';

export interface FakeEndpoints {
  kernel: FakeKernel;
  can: CanSocket;
  multicast: MulticastBus;
  /** The bus's receive and send sockets. */
  rx: FakeUdpSocket;
  tx: FakeUdpSocket;
  /** Every socket the bus opened (with peers: [2] the unicast receive socket, then one per peer). */
  sockets: FakeUdpSocket[];
  /** Every datagram sent to the group so far, decoded (throws on one that does not decode). */
  sentToGroup: () => CanFrame[];
  /** Delivers `frame` as a python-can datagram from `address` (port 43113). */
  fromGroup: (frame: CanFrame, address?: string) => void;
  /** Closes both endpoints now. */
  destroy: () => void;
}

/**
 * A `DaemonDeps.createCanSocket` that opens the real `CanSocket` on `kernel`, polling the
 * interface every 10 ms (a link set up again is seen quickly); `sockets` holds what it created.
 */
export function fakeCanSocketFactory(kernel: FakeKernel): {
  factory: (options: CanSocketOptions, logger?: Logger) => CanSocket;
  sockets: CanSocket[];
  /** The first socket it created; throws before there is one. */
  first: () => CanSocket;
} {
  const sockets: CanSocket[] = [];
  const factory = (options: CanSocketOptions, logger?: Logger): CanSocket => {
    const sock = new CanSocket(
      { interfacePollMs: 10, ...options },
      {
        binding: kernel.binding(),
        readLink: kernel.readLink,
        ...(logger === undefined ? {} : { logger }),
      },
    );
    sockets.push(sock);
    return sock;
  };
  const first = (): CanSocket => {
    const sock = sockets[0];
    if (sock === undefined) throw new Error('no CAN socket created');
    return sock;
  };
  return { factory, sockets, first };
}

/**
 * A `DaemonDeps.createMulticast` (or `CliIo.createBus`) that opens the real `MulticastBus` on the
 * fake sockets `factory` hands out (fake-udp-socket.ts), on a host with only `lo`.
 */
export function fakeBusFactory(
  factory: ReturnType<typeof fakeSocketFactory>['factory'],
): (options: MulticastBusOptions, deps: MulticastBusDeps) => MulticastBus {
  return (options, deps) =>
    new MulticastBus(options, { ...deps, socketFactory: factory, networkInterfaces: loopbackOnly });
}

/**
 * Opens a `CanSocket` on a fake `vcan0` (CAN FD capable unless `can.fd` is false; the interface
 * polled every 10 ms, so a link set up again is seen quickly) and a `MulticastBus` on
 * 239.74.163.2 port 43113 over fake sockets on a host with only `lo`.
 */
export async function openFakeEndpoints(
  can: Partial<CanSocketOptions> = {},
  multicast: MulticastBusOptions = {},
): Promise<FakeEndpoints> {
  const kernel = new FakeKernel();
  kernel.addInterface('vcan0');
  const canSocket = fakeCanSocketFactory(kernel).factory({ interface: 'vcan0', fd: true, ...can });
  const { factory, sockets } = fakeSocketFactory();
  const bus = new MulticastBus(
    { group: '239.74.163.2', port: 43113, ...multicast },
    { socketFactory: factory, networkInterfaces: loopbackOnly },
  );
  await Promise.all([canSocket.start(), bus.start()]);
  const [rx, tx] = sockets;
  if (rx === undefined || tx === undefined) throw new Error('the bus opened no sockets');
  return {
    kernel,
    can: canSocket,
    multicast: bus,
    rx,
    tx,
    sockets,
    sentToGroup: () =>
      tx.sent.map(({ msg }) => {
        const decoded = decodeDatagram(msg);
        if (!decoded.ok) throw new Error(`sent an undecodable datagram: ${decoded.reason}`);
        return decoded.frame;
      }),
    fromGroup: (frame, address = '10.0.0.9') =>
      rx.receive(encodeFrame(frame), { address, port: 43113 }),
    destroy: () => {
      canSocket.destroy();
      bus.destroy();
    },
  };
}
