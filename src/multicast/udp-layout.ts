/**
 * Byte offsets of the metadata record the addon writes for each received datagram
 * (native/src/udp_socket.h `kUdpMeta*`), host byte order. Written here so that nothing needs a built
 * addon to read them; test/integration/native-udp-socket.test.ts checks them against the addon's
 * `udpLayout`.
 */
export const UDP_LAYOUT = {
  /** Bytes per metadata record. */
  metaSize: 32,
  /** u32 bytes received. */
  length: 0,
  /** u32 msg_flags. */
  flags: 4,
  /** u16 4 or 6. */
  family: 8,
  /** u16 source port. */
  port: 10,
  /** u32 IPv6 scope id. */
  scope: 12,
  /** 4 or 16 address bytes, network order. */
  address: 16,
  /** Payload bytes per datagram in the receive buffer: python-can's 4096 and one to spot longer ones. */
  slotSize: 4097,
  /** recvmmsg/sendmmsg take at most UIO_MAXIOV (1024) messages per call. */
  maxBatch: 1024,
} as const;

/** recvmsg(2) flag: the datagram was longer than the buffer (linux/socket.h MSG_TRUNC). */
export const MSG_TRUNC = 0x20;
