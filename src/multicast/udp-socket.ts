/**
 * The part of Node's `dgram.Socket` the multicast endpoint uses, so tests can inject a fake.
 */
import { createSocket } from 'node:dgram';
import type { BindOptions, RemoteInfo, SocketOptions } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface UdpSocket {
  on(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
  bind(options: BindOptions, callback: () => void): unknown;
  addMembership(multicastAddress: string, multicastInterface?: string): void;
  setMulticastInterface(multicastInterface: string): void;
  setMulticastTTL(ttl: number): unknown;
  setMulticastLoopback(flag: boolean): unknown;
  setRecvBufferSize(size: number): void;
  getRecvBufferSize(): number;
  address(): AddressInfo;
  send(
    msg: Uint8Array,
    port: number,
    address: string,
    callback: (err: Error | null, bytes: number) => void,
  ): void;
  close(callback?: () => void): unknown;
}

/** Creates the sockets of a `MulticastBus`; the default is `dgram.createSocket`. */
export type UdpSocketFactory = (options: SocketOptions) => UdpSocket;

export const createUdpSocket: UdpSocketFactory = (options) => createSocket(options);
