/**
 * The addon's UDP socket (native/src/udp_socket.h) as a `UdpSocket`: one native callback per
 * received batch, read here datagram by datagram into the sink, and one sendmmsg(2) per batch sent.
 */
import { loadNativeBinding } from '../native/native-binding.js';
import type { NativeBinding, NativeUdpSocketHandle } from '../native/native-binding.js';
import { AddressTextCache } from './ip-text.js';
import type { DatagramSource } from './multicast-bus-types.js';
import { MSG_TRUNC, UDP_LAYOUT } from './udp-layout.js';
import type { DatagramSink, Destination, UdpSocket, UdpSocketFactory } from './udp-socket.js';

/** Datagrams per recvmmsg(2): room for a burst without a wake-up each. */
const RECEIVE_BATCH = 64;

export class NativeUdpSocket implements UdpSocket {
  readonly #binding: NativeBinding;
  readonly #handle: NativeUdpSocketHandle;
  readonly #family: 'IPv4' | 'IPv6';
  readonly #addresses = new AddressTextCache();

  constructor(binding: NativeBinding, family: 4 | 6, reuseAddr: boolean, multicastAll = true) {
    this.#binding = binding;
    this.#handle = new binding.UdpSocket(family, {
      reuseAddr,
      multicastAll,
      batchSize: RECEIVE_BATCH,
    });
    this.#family = family === 4 ? 'IPv4' : 'IPv6';
  }

  bind(address: string, port: number): void {
    this.#handle.bind(address, port);
  }

  connect(address: string, port: number): void {
    this.#handle.connect(address, port);
  }

  localAddress(): { address: string; port: number } {
    return this.#handle.localAddress();
  }

  addMembership(group: string, iface: string): void {
    this.#handle.addMembership(group, iface);
  }

  setMulticastInterface(iface: string): void {
    this.#handle.setMulticastInterface(iface);
  }

  setMulticastTTL(ttl: number): void {
    this.#handle.setMulticastTTL(ttl);
  }

  setMulticastLoopback(flag: boolean): void {
    this.#handle.setMulticastLoopback(flag);
  }

  setRecvBufferSize(bytes: number): void {
    this.#handle.setRecvBufferSize(bytes);
  }

  getRecvBufferSize(): number {
    return this.#handle.getRecvBufferSize();
  }

  forceReceiveBuffer(bytes: number): void {
    this.#binding.forceReceiveBuffer(this.#handle.fd, bytes);
  }

  attachFilter(program: Uint8Array): void {
    this.#binding.attachSocketFilter(this.#handle.fd, program);
  }

  startReading(sink: DatagramSink, onError: (err: NodeJS.ErrnoException) => void): void {
    const payload = new Uint8Array(this.#handle.rxBuffer);
    const metaBytes = new Uint8Array(this.#handle.rxMeta);
    const meta = new DataView(this.#handle.rxMeta);
    const family = this.#family;
    const addresses = this.#addresses;
    const { metaSize, slotSize } = UDP_LAYOUT;
    this.#handle.startReading((count, drops) => {
      for (let i = 0; i < count; i++) {
        const at = i * metaSize;
        const length = meta.getUint32(at + UDP_LAYOUT.length, true);
        const flags = meta.getUint32(at + UDP_LAYOUT.flags, true);
        const fam = meta.getUint16(at + UDP_LAYOUT.family, true);
        const source: DatagramSource = {
          address: addresses.text(metaBytes, at + UDP_LAYOUT.address, fam),
          port: meta.getUint16(at + UDP_LAYOUT.port, true),
          family,
          size: length,
        };
        const start = i * slotSize;
        sink.datagram(
          payload.subarray(start, start + length),
          source,
          (flags & MSG_TRUNC) !== 0 || length >= slotSize,
        );
      }
      sink.batch(count, drops);
    }, onError);
  }

  send(
    data: Uint8Array,
    lengths: Uint32Array,
    first: number,
    count: number,
    to?: Destination,
  ): number {
    return to === undefined
      ? this.#handle.send(data, lengths, first, count)
      : this.#handle.send(data, lengths, first, count, to.address, to.port);
  }

  get sendErrno(): number {
    return this.#handle.sendErrno;
  }

  waitWritable(onWritable: (() => void) | null): void {
    this.#handle.waitWritable(onWritable);
  }

  kernelDrops(): number {
    return this.#handle.drops;
  }

  close(): void {
    this.#handle.close();
  }
}

/** The default `UdpSocketFactory`: the addon's socket; throws ERR_CAN_ADDON when it is missing. */
export const createNativeUdpSocket: UdpSocketFactory = (options) =>
  new NativeUdpSocket(
    loadNativeBinding(),
    options.type === 'udp4' ? 4 : 6,
    options.reuseAddr ?? false,
    options.multicastAll ?? true,
  );
