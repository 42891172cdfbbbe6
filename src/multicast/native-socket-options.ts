/**
 * Socket options Node's dgram has no API for, set through the addon on the dgram socket's file
 * descriptor (native/src/socket_options.h). Each throws when it cannot (no descriptor, no addon,
 * the kernel refuses); the bus then does without, as with an injected fake socket.
 */
import type { Socket } from 'node:dgram';
import { loadNativeBinding } from '../socketcan/native-binding.js';
import { MulticastError } from './multicast-error.js';
import { udpSocketFd } from './udp-fd.js';
import type { UdpSocket } from './udp-socket.js';

/** Attaches `program` (struct sock_filter records) to `socket`; throws when it cannot. */
export type AttachEchoFilter = (socket: UdpSocket, program: Uint8Array) => void;

/** Sets the receive buffer past net.core.rmem_max (SO_RCVBUFFORCE); throws when it cannot. */
export type ForceRecvBuffer = (socket: UdpSocket, bytes: number) => void;

function fdOf(socket: UdpSocket): number {
  const fd = udpSocketFd(socket as Socket);
  if (fd === null)
    throw new MulticastError('ERR_MULTICAST_SOCKET', 'no file descriptor for the socket');
  return fd;
}

/** The default `AttachEchoFilter`: SO_ATTACH_FILTER. */
export const attachNativeEchoFilter: AttachEchoFilter = (socket, program) => {
  loadNativeBinding().attachSocketFilter(fdOf(socket), program);
};

/** The default `ForceRecvBuffer`: SO_RCVBUFFORCE, which needs CAP_NET_ADMIN (EPERM without). */
export const forceNativeRecvBuffer: ForceRecvBuffer = (socket, bytes) => {
  loadNativeBinding().forceReceiveBuffer(fdOf(socket), bytes);
};
