/**
 * What a `CanSocket` is opened with, its collaborators, and the addon's and the TX writer's
 * options they become.
 */
import type { Logger } from 'pino';
import type { CanChannel } from '../frame.js';
import type { NativeBinding, RawCanSocketOptions } from '../native/native-binding.js';
import type { LinkReader } from '../net/interface-reader.js';
import type { Timers } from '../net/timers.js';
import type { CanTxWriterOptions } from './can-tx-writer.js';
import type { CanKernelFilter } from './kernel-filter.js';
import { kernelFilterArray } from './kernel-filter.js';

export interface CanSocketOptions {
  /** Interface name, e.g. "vcan0". */
  interface: string;
  /** Enable CAN FD frames (CAN_RAW_FD_FRAMES); default false. */
  fd?: boolean;
  /** Kernel receive filters (CAN_RAW_FILTER); default: receive everything; [] receives nothing. */
  filters?: readonly CanKernelFilter[];
  /** A frame must match all filters instead of any (CAN_RAW_JOIN_FILTERS); default false. */
  joinFilters?: boolean;
  /** Error classes to receive as error frames (CAN_RAW_ERR_FILTER, linux/can/error.h); default 0. */
  errorMask?: number;
  /** Other sockets on this host see our frames (CAN_RAW_LOOPBACK); default true. */
  loopback?: boolean;
  /** We receive our own frames (CAN_RAW_RECV_OWN_MSGS); default false. */
  receiveOwnMessages?: boolean;
  /**
   * SO_RCVBUF in bytes (SO_RCVBUFFORCE when root/CAP_NET_ADMIN, else capped at net.core.rmem_max);
   * default 1 MiB (the kernel doubles it: about 2,300 frames), 0 keeps the kernel's default.
   */
  receiveBufferBytes?: number;
  /** SO_SNDBUF in bytes; default: the kernel's. */
  sendBufferBytes?: number;
  /** Kernel receive timestamps (SO_TIMESTAMPNS); default true, else the batch's wall clock. */
  timestamps?: boolean;
  /** Most frames read per readiness and delivered per 'frames' event; default 64, max 1024. */
  rxBatchSize?: number;
  /** Frames each `frames()` iterator may hold before new ones are dropped for it; default 10000. */
  iteratorHighWaterMark?: number;
  /** `channel` of received frames; default the interface name (as python-can's socketcan). */
  channel?: CanChannel;
  /** Most frames waiting to be sent; default 1000. */
  txQueueLimit?: number;
  /** Drop queued frames older than this (ms); 0 never; default 1000. */
  txMaxAgeMs?: number;
  /** First and longest wait after ENOBUFS (ms); default 1 and 100, doubling. */
  txBackoffMinMs?: number;
  txBackoffMaxMs?: number;
  /** How often the interface monitor looks at the interface (ms); default 1000. */
  interfacePollMs?: number;
  /** `close()` gives up flushing after this (ms) and drops the rest; default 5000. */
  closeTimeoutMs?: number;
  /**
   * When the interface does not exist at `start()` (ENODEV), start in state 'gone' and wait for it
   * ('back' follows) instead of throwing; default false.
   */
  waitForInterface?: boolean;
}

/** Collaborators, with real defaults. */
export interface CanSocketDeps {
  binding?: NativeBinding;
  /** The interface monitor's view of the link; default /sys/class/net/NAME (interface-reader.ts). */
  readLink?: LinkReader;
  /** The interface monitor's and the stale sweep's timers; default Node's, unref'd. */
  timers?: Timers;
  logger?: Logger;
  /** Monotonic milliseconds clock for queue ages; default the timers' `now`. */
  nowMs?: () => number;
}

/** Rides out event-loop stalls of about a tenth of a second at 20,000 frames/s. */
const DEFAULT_RECEIVE_BUFFER_BYTES = 1 << 20;

/** The addon's options for `options`, defaults filled in. */
export function rawCanSocketOptions(options: CanSocketOptions): RawCanSocketOptions {
  return {
    fdFrames: options.fd ?? false,
    loopback: options.loopback ?? true,
    recvOwnMsgs: options.receiveOwnMessages ?? false,
    joinFilters: options.joinFilters ?? false,
    timestamps: options.timestamps ?? true,
    rxqOverflow: true,
    errMask: options.errorMask ?? 0,
    receiveBufferBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    sendBufferBytes: options.sendBufferBytes ?? 0,
    batchSize: options.rxBatchSize ?? 64,
    ...(options.filters === undefined ? {} : { filters: kernelFilterArray(options.filters) }),
  };
}

/** The TX writer's options for `options`, defaults filled in. */
export function txWriterOptions(options: CanSocketOptions): CanTxWriterOptions {
  return {
    interfaceName: options.interface,
    queueLimit: options.txQueueLimit ?? 1000,
    maxAgeMs: options.txMaxAgeMs ?? 1000,
    backoffMinMs: options.txBackoffMinMs ?? 1,
    backoffMaxMs: options.txBackoffMaxMs ?? 100,
  };
}
