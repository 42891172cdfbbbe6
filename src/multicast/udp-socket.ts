/**
 * The part of Node's `dgram.Socket` the multicast endpoint uses, so tests can inject a fake.
 */
import { createSocket } from 'node:dgram';
import type { BindOptions, RemoteInfo, SocketOptions } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** Called once the kernel took (or refused) a datagram. */
export type SendCallback = (err: Error | null, bytes: number) => void;

export interface UdpSocket {
  on(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): unknown;
  bind(options: BindOptions, callback: () => void): unknown;
  /** connect(2): fixes the destination (and the route and source address, chosen now). */
  connect(port: number, address: string, callback: (err?: Error | null) => void): void;
  addMembership(multicastAddress: string, multicastInterface?: string): void;
  setMulticastInterface(multicastInterface: string): void;
  setMulticastTTL(ttl: number): unknown;
  setMulticastLoopback(flag: boolean): unknown;
  setRecvBufferSize(size: number): void;
  getRecvBufferSize(): number;
  address(): AddressInfo;
  /** On a connected socket: to the connected destination. */
  send(msg: Uint8Array, callback: SendCallback): void;
  send(msg: Uint8Array, port: number, address: string, callback: SendCallback): void;
  close(callback?: () => void): unknown;
}

/** Creates the sockets of a `MulticastBus`; the default is `dgram.createSocket`. */
export type UdpSocketFactory = (options: SocketOptions) => UdpSocket;

export const createUdpSocket: UdpSocketFactory = (options) => createSocket(options);
