/**
 * An in-memory `UdpSocket` (src/multicast/udp-socket.ts) for unit tests of the multicast bus:
 * records every call, lets the test inject datagrams and make calls fail.
 */
import { EventEmitter } from 'node:events';
import type { BindOptions, RemoteInfo, SocketOptions } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { SendCallback, UdpSocket, UdpSocketFactory } from '../../src/multicast/udp-socket.js';

/** A Node-style system error, as dgram throws and emits them. */
export function systemError(code: string, errno: number, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  return err;
}

function codeError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

export interface SentDatagram {
  msg: Uint8Array;
  /** The destination: the connected one when `send` was called without. */
  port: number;
  address: string;
  /** True when sent without a destination, on a connected socket. */
  connected: boolean;
}

export class FakeUdpSocket extends EventEmitter implements UdpSocket {
  readonly options: SocketOptions;
  bound: BindOptions | null = null;
  closed = false;
  memberships: [string, string | undefined][] = [];
  multicastInterface: string | null = null;
  ttl: number | null = null;
  loopback: boolean | null = null;
  recvBufferSize = 212992;
  /** Linux caps SO_RCVBUF at net.core.rmem_max (and reports twice the value, socket(7)). */
  rmemMax = 4 * 1024 * 1024;
  sent: SentDatagram[] = [];
  /** Where `connect` pointed the socket, null when not connected. */
  connectedTo: { port: number; address: string } | null = null;
  /** Set to make connect fail with this error (in its callback, as dgram does). */
  connectError: Error | null = null;
  /** Set to make the next bind emit this error instead of listening. */
  bindError: Error | null = null;
  membershipError: Error | null = null;
  ttlError: Error | null = null;
  /** Set to make sends fail with this error. */
  sendError: Error | null = null;
  /** When true, send callbacks wait until `completeSends()`. */
  holdSends = false;
  readonly #held: (() => void)[] = [];
  #port = 0;

  constructor(options: SocketOptions, port: number) {
    super();
    this.options = options;
    this.#port = port;
  }

  bind(options: BindOptions, callback: () => void): this {
    this.bound = options;
    const err = this.bindError;
    setImmediate(() => {
      if (err !== null) this.emit('error', err);
      else {
        if (options.port !== undefined && options.port !== 0) this.#port = options.port;
        callback();
      }
    });
    return this;
  }

  addMembership(group: string, iface?: string): void {
    if (this.membershipError !== null) throw this.membershipError;
    // Linux: the same group on the same interface twice is EADDRINUSE (ip_mc_join_group).
    if (this.memberships.some(([g, i]) => g === group && i === iface)) {
      throw systemError('EADDRINUSE', -98, 'addMembership');
    }
    this.memberships.push([group, iface]);
  }

  setMulticastInterface(iface: string): void {
    this.multicastInterface = iface;
  }

  setMulticastTTL(ttl: number): number {
    if (this.ttlError !== null) throw this.ttlError;
    this.ttl = ttl;
    return ttl;
  }

  setMulticastLoopback(flag: boolean): boolean {
    this.loopback = flag;
    return flag;
  }

  setRecvBufferSize(size: number): void {
    this.recvBufferSize = 2 * Math.min(size, this.rmemMax);
  }

  getRecvBufferSize(): number {
    return this.recvBufferSize;
  }

  address(): AddressInfo {
    return { address: this.bound?.address ?? '0.0.0.0', family: 'IPv4', port: this.#port };
  }

  connect(port: number, address: string, callback: (err?: Error | null) => void): void {
    const err = this.connectError;
    if (err === null) this.connectedTo = { port, address };
    setImmediate(() => callback(err));
  }

  send(msg: Uint8Array, callback: SendCallback): void;
  send(msg: Uint8Array, port: number, address: string, callback: SendCallback): void;
  send(
    msg: Uint8Array,
    portOrCallback: number | SendCallback,
    address?: string,
    callback?: SendCallback,
  ): void {
    let cb: SendCallback;
    if (typeof portOrCallback === 'function') {
      // As dgram: a send without a destination needs a connected socket, and the reverse.
      if (this.connectedTo === null) throw codeError('ERR_SOCKET_BAD_PORT', 'not connected');
      cb = portOrCallback;
      this.sent.push({ msg, ...this.connectedTo, connected: true });
    } else {
      if (this.connectedTo !== null) throw codeError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'connected');
      cb = callback!;
      this.sent.push({ msg, port: portOrCallback, address: address!, connected: false });
    }
    const err = this.sendError;
    const done = (): void => cb(err, err === null ? msg.length : 0);
    if (this.holdSends) this.#held.push(done);
    else process.nextTick(done);
  }

  /** Runs the callbacks of sends held by `holdSends`. */
  completeSends(): void {
    for (const done of this.#held.splice(0)) done();
  }

  close(callback?: () => void): this {
    if (this.closed) throw new Error('Not running');
    this.closed = true;
    if (callback) process.nextTick(callback);
    return this;
  }

  /** Delivers a datagram as if the kernel had received it. */
  receive(msg: Uint8Array, from: { address: string; port: number }): void {
    const rinfo: RemoteInfo = {
      address: from.address,
      port: from.port,
      family: from.address.includes(':') ? 'IPv6' : 'IPv4',
      size: msg.length,
    };
    this.emit('message', Buffer.from(msg), rinfo);
  }
}

/** A factory handing out fake sockets; `sockets[0]` is the bus's receive socket, `[1]` its send socket. */
export function fakeSocketFactory(): { factory: UdpSocketFactory; sockets: FakeUdpSocket[] } {
  const sockets: FakeUdpSocket[] = [];
  let nextEphemeral = 50000;
  const factory: UdpSocketFactory = (options) => {
    const sock = new FakeUdpSocket(options, nextEphemeral++);
    sockets.push(sock);
    return sock;
  };
  return { factory, sockets };
}

/** `os.networkInterfaces()` of a host with only `lo`: for buses on fake sockets. */
export const loopbackOnly = () => ({
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4' as const,
      mac: '00:00:00:00:00:00',
      internal: true,
      cidr: '127.0.0.1/8',
    },
  ],
});
