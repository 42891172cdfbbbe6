/**
 * Socket options the bus sets only where it can: a kernel own-echo filter and a receive buffer
 * past net.core.rmem_max. Injectable (null turns each off) so tests can watch them or do without.
 */
import type { UdpSocket } from './udp-socket.js';

/** Attaches `program` (struct sock_filter records) to `socket`; throws when it cannot. */
export type AttachEchoFilter = (socket: UdpSocket, program: Uint8Array) => void;

/** Sets the receive buffer past net.core.rmem_max (SO_RCVBUFFORCE); throws when it cannot. */
export type ForceReceiveBuffer = (socket: UdpSocket, bytes: number) => void;

/** The default `AttachEchoFilter`: SO_ATTACH_FILTER. */
export const attachNativeEchoFilter: AttachEchoFilter = (socket, program) => {
  socket.attachFilter(program);
};

/** The default `ForceReceiveBuffer`: SO_RCVBUFFORCE, which needs CAP_NET_ADMIN (EPERM without). */
export const forceNativeReceiveBuffer: ForceReceiveBuffer = (socket, bytes) => {
  socket.forceReceiveBuffer(bytes);
};
