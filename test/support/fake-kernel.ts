/**
 * The fake at the addon's CAN boundary (native/src/raw_can_socket.h), as test/support/
 * fake-udp-socket.ts is at the UDP one: tests run the real `CanSocket` (and the relay above it) on
 * it. Interfaces live in a map, sends are recorded (as kernel bytes) or fail with a scripted errno,
 * received frames are written into the handle's record buffer as the addon's recvmmsg does.
 */
import { constants } from 'node:os';
import type { CanFrame } from '../../src/frame.js';
import type {
  NativeBinding,
  RawCanSocketHandle,
  RawCanSocketOptions,
  RecordLayout,
} from '../../src/native/native-binding.js';
import { CAN_RECORD_LAYOUT } from '../../src/socketcan/record-layout.js';
import { decodeKernelRecord, encodeKernelFrame } from '../../src/socketcan/kernel-frame.js';
import { canSystemError } from '../../src/socketcan/system-error.js';
import { linkMapReader } from './fake-interfaces.js';

export const layout: RecordLayout = CAN_RECORD_LAYOUT;

/** One fake CAN interface: its index, IFF_UP and MTU. */
export interface InterfaceInfo {
  ifindex: number;
  up: boolean;
  mtu: number;
}

export class FakeKernel {
  readonly interfaces = new Map<string, InterfaceInfo>();
  readonly handles: FakeRawHandle[] = [];
  /** Each send call takes the next entry: how many frames go out, and the errno name of the next. */
  readonly sendScript: { accept: number; errno: keyof typeof constants.errno }[] = [];
  /** Every frame written, as the kernel bytes (16 or 72). */
  readonly written: Uint8Array[] = [];
  /** Thrown by every open (the RawCanSocket constructor) while set, e.g. an EPERM-coded error. */
  openError: Error | null = null;
  #nextIndex = 10;

  addInterface(name: string, mtu = 72, up = true): InterfaceInfo {
    const info = { ifindex: this.#nextIndex++, up, mtu };
    this.interfaces.set(name, info);
    return info;
  }

  /**
   * `ip link set NAME up|down`. Down reports ENETDOWN to the sockets bound to it, as the kernel
   * does (net/can/raw.c raw_notify(), NETDEV_DOWN: `sk->sk_err = ENETDOWN; sk_error_report(sk)`);
   * up tells sockets nothing, so `CanSocket` sees it at its next interface poll.
   */
  setLink(name: string, up: boolean): void {
    const info = this.interfaces.get(name);
    if (info === undefined) throw new Error(`no interface ${name}`);
    info.up = up;
    if (!up) for (const h of this.#openOn(name)) h.fail('ENETDOWN');
  }

  /** `ip link delete NAME`: ENODEV to the sockets bound to it (raw_notify(), NETDEV_UNREGISTER). */
  removeInterface(name: string): void {
    if (!this.interfaces.delete(name)) throw new Error(`no interface ${name}`);
    for (const h of this.#openOn(name)) h.fail('ENODEV');
  }

  /** The frames written so far, decoded; `asKernelFrame` says what of a frame they keep. */
  writtenFrames(): CanFrame[] {
    const record = new Uint8Array(layout.recordSize);
    const view = new DataView(record.buffer);
    return this.written.map((bytes) => {
      record.fill(0);
      record.set(bytes);
      view.setUint32(layout.msgLen, bytes.length, true);
      return decodeKernelRecord(record, view, 0, layout, null, 0);
    });
  }

  #openOn(name: string): FakeRawHandle[] {
    return this.handles.filter((h) => h.interface === name && !h.closed);
  }

  /** The interfaces as sysfs would show them (`CanSocketDeps.readLink`). */
  readonly readLink = linkMapReader(this.interfaces).link;

  get last(): FakeRawHandle {
    const h = this.handles.at(-1);
    if (h === undefined) throw new Error('no handle opened');
    return h;
  }

  binding(): NativeBinding {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const kernel = this;
    return {
      layout,
      attachSocketFilter: () => {
        throw new Error('the fake binding has no socket filters');
      },
      forceReceiveBuffer: () => {
        throw new Error('the fake binding has no socket options');
      },
      udpLayout: {},
      sdNotify: () => {
        throw new Error('the fake CAN binding has no sd_notify');
      },
      UdpSocket: class {
        constructor() {
          throw new Error(
            'the fake CAN binding has no UDP sockets (test/support/fake-udp-socket.ts has)',
          );
        }
      } as unknown as NativeBinding['UdpSocket'],
      RawCanSocket: class extends FakeRawHandle {
        constructor(ifname: string, options: RawCanSocketOptions) {
          super(kernel, ifname, options);
        }
      },
    };
  }
}

export class FakeRawHandle implements RawCanSocketHandle {
  readonly interface: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly batchSize: number;
  readonly receiveBufferBytes = 212992;
  readonly rxBuffer: ArrayBuffer;
  sendErrno = 0;
  drops = 0;
  closed = false;
  onBatch: ((count: number) => void) | null = null;
  onError: ((err: NodeJS.ErrnoException) => void) | null = null;
  onWritable: (() => void) | null = null;
  sendCalls = 0;

  constructor(
    readonly kernel: FakeKernel,
    ifname: string,
    readonly options: RawCanSocketOptions,
  ) {
    if (kernel.openError !== null) throw kernel.openError;
    const info = kernel.interfaces.get(ifname);
    if (info === undefined) throw canSystemError(constants.errno.ENODEV, 'if_nametoindex', ifname);
    this.interface = ifname;
    this.ifindex = info.ifindex;
    this.mtu = info.mtu;
    this.batchSize = options.batchSize ?? 64;
    this.rxBuffer = new ArrayBuffer(this.batchSize * layout.recordSize);
    kernel.handles.push(this);
  }

  startReading(
    onBatch: (count: number) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): void {
    this.onBatch = onBatch;
    this.onError = onError;
  }

  stopReading(): void {
    this.onBatch = null;
  }

  waitWritable(fn: (() => void) | null): void {
    this.onWritable = fn;
  }

  send(buf: Uint8Array, count: number): number {
    this.sendCalls++;
    const step = this.kernel.sendScript.shift();
    const accept = step === undefined ? count : Math.min(step.accept, count);
    for (let i = 0; i < accept; i++) {
      const off = i * layout.txStride;
      const size = buf[off + layout.txSizeOffset] ?? 0;
      this.kernel.written.push(buf.slice(off, off + size));
    }
    this.sendErrno = accept < count && step !== undefined ? -constants.errno[step.errno] : 0;
    return accept;
  }

  close(): void {
    this.closed = true;
    this.onBatch = null;
    this.onWritable = null;
  }

  /**
   * Fills the RX buffer with kernel frames (16 or 72 bytes each, any bytes at all: a test may hand
   * over what no kernel would write) and fires one batch. Each record's receive time is
   * `timestamps[i]` seconds (SO_TIMESTAMPNS), default 1700000000.5.
   */
  deliver(frames: readonly Uint8Array[], drops = this.drops, timestamps?: readonly number[]): void {
    if (frames.length > this.batchSize) throw new Error(`more than ${this.batchSize} frames`);
    const bytes = new Uint8Array(this.rxBuffer);
    const view = new DataView(this.rxBuffer);
    frames.forEach((f, i) => {
      const off = i * layout.recordSize;
      const t = timestamps?.[i] ?? 1700000000.5;
      const sec = Number.isFinite(t) ? Math.floor(t) : t;
      bytes.fill(0, off, off + layout.recordSize);
      bytes.set(f, off);
      view.setFloat64(off + layout.tsSec, sec, true);
      view.setUint32(
        off + layout.tsNsec,
        Number.isFinite(t) ? Math.round((t - sec) * 1e9) : 0,
        true,
      );
      view.setUint32(off + layout.msgLen, f.length, true);
    });
    this.drops = drops;
    this.onBatch?.(frames.length);
  }

  /**
   * Delivers `frames` as one received batch, each as the kernel frame it would be on the bus
   * (`kernelBytes`) with its `timestamp` as the receive time.
   */
  receive(frames: readonly CanFrame[], drops = this.drops): void {
    this.deliver(
      frames.map(kernelBytes),
      drops,
      frames.map((f) => f.timestamp),
    );
  }

  fireWritable(): void {
    const fn = this.onWritable;
    this.onWritable = null;
    fn?.();
  }

  fail(errno: keyof typeof constants.errno): void {
    this.onError?.(canSystemError(constants.errno[errno], 'recvmmsg', this.interface));
  }
}

/**
 * What a frame is after a trip through the kernel: SocketCAN carries neither python-can's
 * `timestamp` nor its `channel`, so a written frame reads back with 0 and null.
 */
export function asKernelFrame(frame: CanFrame): CanFrame {
  return { ...frame, timestamp: 0, channel: null };
}

/** `frame` as the kernel frame SocketCAN carries (`struct can_frame` or `struct canfd_frame`). */
export function kernelBytes(frame: CanFrame): Uint8Array {
  const slot = new Uint8Array(layout.txStride);
  encodeKernelFrame(frame, slot, new DataView(slot.buffer), 0, layout);
  return slot.slice(0, slot[layout.txSizeOffset]);
}
