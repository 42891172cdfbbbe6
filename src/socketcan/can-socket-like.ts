/**
 * What the layers above (the bridge) depend on: one CAN endpoint on one interface, implemented
 * once, by `CanSocket` (src/socketcan/can-socket.ts). Tests run that same class on a fake addon
 * (test/support/fake-kernel.ts), so the policy here is never written twice.
 */
import type { EventEmitter } from 'node:events';
import type { CanFrame } from '../frame.js';

/** Where the endpoint is: interface up, down (`ip link set down`), gone (deleted), or closed. */
export type CanSocketState = 'idle' | 'up' | 'down' | 'gone' | 'closed';

/**
 * An interface transition: `down`/`up` as `ip link set`; `gone` when it was deleted (the socket
 * is closed and the interface polled by name); `back` when it exists again and the socket has been
 * reopened (a re-created interface is usually still down; `up` follows when it is set up).
 */
export type CanStateChange = 'down' | 'up' | 'gone' | 'back';

/** Why frames to send were dropped. */
export type CanTxDropReason =
  /** The bounded TX queue was full. */
  | 'queue_full'
  /** Waited longer than `txMaxAgeMs` (interface down, gone or bus busy). */
  | 'stale'
  /** Failed `validateFrame`. */
  | 'invalid'
  /** CAN FD frame while the socket is classic (option `fd` off or interface MTU 16). */
  | 'fd_unsupported'
  /** The kernel refused the frame (e.g. EINVAL); the error is passed along. */
  | 'rejected'
  /** Still queued at `destroy()`, or sent after close. */
  | 'closed'
  /**
   * The controller went bus-off (linux/can/error.h CAN_ERR_BUSOFF): the backlog is dropped, and
   * new frames while it is off, rather than flushed as stale frames when the bus recovers.
   */
  | 'bus_off';

export interface CanSocketCounters {
  /** Frames received and delivered in 'frames' events. */
  rxFrames: number;
  /** 'frames' events (one per kernel batch). */
  rxBatches: number;
  /** Frames the kernel dropped from our receive queue (SO_RXQ_OVFL), summed over reopens. */
  rxKernelDrops: number;
  /** Frames not handed to a `frames()` iterator that was `iteratorHighWaterMark` behind. */
  rxIteratorDrops: number;
  /** Receive errors reported by the socket (other than down/gone). */
  rxErrors: number;
  /** Frames the kernel accepted. */
  txFrames: number;
  /** Native send calls (batches). */
  txBatches: number;
  /** Times the TX path waited for writability (EAGAIN). */
  txWaits: number;
  /** Times the TX path backed off on a full device queue (ENOBUFS). */
  txBackoffs: number;
  /** Frames dropped before reaching the kernel, by reason. */
  txDropped: Record<CanTxDropReason, number>;
  /** Frames waiting in the TX queue now. */
  txQueued: number;
  /** Socket reopens after the interface came back. */
  reopens: number;
}

export interface CanSocketEvents {
  /** One batch of received frames, oldest first. */
  frames: [frames: CanFrame[]];
  /** An interface transition; `err` is the socket error that revealed it, if any. */
  state: [change: CanStateChange, err?: Error];
  /** Frames that will not be sent. */
  drop: [frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error];
  /** After `send()` refused a frame as 'queue_full': the TX queue is empty again. */
  drain: [];
  /** Only from `destroy(err)`. */
  error: [err: Error];
  /** After `close()` or `destroy()`; once. */
  close: [];
}

/** One CAN endpoint; `start()`, `send()`, idempotent `close()` (flushes), `destroy()` (now). */
export interface CanSocketLike extends EventEmitter<CanSocketEvents> {
  /** The interface name, e.g. "vcan0". */
  readonly interfaceName: string;
  readonly state: CanSocketState;
  /** True when CAN FD frames can be sent (option `fd` and an FD-capable interface). */
  readonly fdCapable: boolean;
  /** A snapshot of the counters. */
  readonly counters: CanSocketCounters;
  /**
   * Opens; idempotent, the same promise every call. Rejects with a `BridgeError` coded
   * `ERR_CAN_OPEN` (sysCode/errno/syscall of the failed call, its error as `cause`): the daemon
   * passes it on as it is (exit 69), so an implementation must not reject with a bare errno error.
   */
  start(): Promise<void>;
  /** Queues a frame; false when it was dropped at once (the 'drop' event says why). */
  send(frame: CanFrame): boolean;
  /** Sends what is queued (bounded by `txMaxAgeMs`), then closes. Idempotent. */
  close(): Promise<void>;
  /** Closes now, dropping the queue; emits 'error' when `err` is given. */
  destroy(err?: Error): void;
  /** Drops every frame waiting to be sent as `reason` (counted, 'drop' event); returns how many. */
  dropQueued(reason: CanTxDropReason): number;
  /** While `reason` is set, `send()` drops every frame at once with it; null sends again. */
  setTxBlocked(reason: CanTxDropReason | null): void;
}

export function zeroCounters(): CanSocketCounters {
  return {
    rxFrames: 0,
    rxBatches: 0,
    rxKernelDrops: 0,
    rxIteratorDrops: 0,
    rxErrors: 0,
    txFrames: 0,
    txBatches: 0,
    txWaits: 0,
    txBackoffs: 0,
    txDropped: {
      queue_full: 0,
      stale: 0,
      invalid: 0,
      fd_unsupported: 0,
      rejected: 0,
      closed: 0,
      bus_off: 0,
    },
    txQueued: 0,
    reopens: 0,
  };
}
