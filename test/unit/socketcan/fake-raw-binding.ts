/**
 * A scripted stand-in for the native addon, for unit tests of `CanSocket`'s policy: interfaces
 * live in a map, sends are recorded (as kernel bytes) or fail with a scripted errno.
 */
import { constants } from 'node:os';
import type {
  NativeBinding,
  RawCanSocketHandle,
  RawCanSocketOptions,
  RecordLayout,
} from '../../../src/native/native-binding.js';
import { CAN_RECORD_LAYOUT } from '../../../src/socketcan/record-layout.js';
import type { InterfaceInfo } from '../../../src/socketcan/interface-probe.js';
import { canSystemError } from '../../../src/socketcan/system-error.js';

export const layout: RecordLayout = CAN_RECORD_LAYOUT;

export class FakeKernel {
  readonly interfaces = new Map<string, InterfaceInfo>();
  readonly handles: FakeRawHandle[] = [];
  /** Each send call takes the next entry: how many frames go out, and the errno name of the next. */
  readonly sendScript: { accept: number; errno: keyof typeof constants.errno }[] = [];
  /** Every frame written, as the kernel bytes (16 or 72). */
  readonly written: Uint8Array[] = [];
  #nextIndex = 10;

  addInterface(name: string, mtu = 72, up = true): InterfaceInfo {
    const info = { ifindex: this.#nextIndex++, up, mtu };
    this.interfaces.set(name, info);
    return info;
  }

  probe = (name: string): InterfaceInfo | null => {
    const info = this.interfaces.get(name);
    return info === undefined ? null : { ...info };
  };

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

  /** Fills the RX buffer with kernel frames (16 or 72 bytes each) and fires one batch. */
  deliver(frames: Uint8Array[], drops = 0): void {
    const bytes = new Uint8Array(this.rxBuffer);
    const view = new DataView(this.rxBuffer);
    frames.forEach((f, i) => {
      const off = i * layout.recordSize;
      bytes.fill(0, off, off + layout.recordSize);
      bytes.set(f, off);
      view.setFloat64(off + layout.tsSec, 1700000000, true);
      view.setUint32(off + layout.tsNsec, 500_000_000, true);
      view.setUint32(off + layout.msgLen, f.length, true);
    });
    this.drops = drops;
    this.onBatch?.(frames.length);
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
