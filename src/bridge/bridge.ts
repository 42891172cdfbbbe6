/**
 * The relay, both ways, between one CAN endpoint and one multicast endpoint, with loop suppression
 * by sender id. No syscalls here: the endpoints are injected (the native CanSocket and MulticastBus
 * in the daemon, fakes in tests).
 *
 * Loops are cut in three places:
 * - the multicast bus drops datagrams from its own send socket (own echo);
 * - this relay drops datagrams whose python-can `channel` is its own sender id (a copy of ours that
 *   came back some other way) or in the ignore list (another bridge on the same CAN bus);
 * - the CAN socket does not read back what this process wrote (CAN_RAW_RECV_OWN_MSGS off, the
 *   kernel default, linux/can/raw.h), while loopback stays on so other programs on the bus see it.
 */
import type { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { CanIdFilter } from '../can/can-filter.js';
import { matchesCanFilters } from '../can/can-filter.js';
import { kernelCanId } from '../can/linux-can.js';
import { errorCode } from '../errors.js';
import { canFdPaddedLength } from '../frame.js';
import type { CanFrame } from '../frame.js';
import type { MulticastBusEvents, MulticastBusStats } from '../multicast/multicast-bus-types.js';
import type { ReceivedFrame } from '../multicast/multicast-bus-types.js';
import type {
  CanSocketCounters,
  CanSocketLike,
  CanStateChange,
  CanTxDropReason,
} from '../socketcan/can-socket-like.js';
import { RateLimitedLog } from '../log/rate-limited-log.js';

/** What the relay needs of the multicast side (`MulticastBus` implements it). */
export interface MulticastEndpoint extends EventEmitter<MulticastBusEvents> {
  send(frame: CanFrame): void;
  stats(): MulticastBusStats;
}

export interface DirectionOptions {
  enabled: boolean;
  /** candump-style id filters; empty passes every data frame. */
  filters: readonly CanIdFilter[];
  /** Forward error frames (they are not subject to id filters). */
  errorFrames: boolean;
}

export interface BridgeOptions {
  can: CanSocketLike;
  multicast: MulticastEndpoint;
  /** Written into the `channel` of every datagram we send; datagrams carrying it are ours. */
  senderId: string;
  /** Sender ids whose datagrams are dropped (other bridges attached to the same CAN bus). */
  ignoreSenders?: readonly string[];
  toMulticast?: Partial<DirectionOptions>;
  toCan?: Partial<DirectionOptions>;
  /** Accept datagrams only from these source addresses; default: all. */
  allowSource?: (address: string) => boolean;
  logger?: Logger;
  /** Repeated warnings of one kind are logged at most once per this many milliseconds. */
  warnIntervalMs?: number;
  /** A monotonic clock in milliseconds, for the last-frame ages; default `performance.now`. */
  nowMs?: () => number;
}

/** Why the relay did not pass a frame on. */
export type RelayDropReason =
  | 'disabled'
  | 'filtered'
  | 'error_frame'
  | 'invalid'
  | 'own_sender_id'
  | 'ignored_sender'
  | 'source_not_allowed'
  | 'fd_unsupported'
  | 'send_failed'
  | CanTxDropReason;

export interface DirectionStats {
  /** Frames passed on. */
  frames: number;
  /** Payload bytes of those frames. */
  bytes: number;
  dropped: Partial<Record<RelayDropReason, number>>;
}

export interface BridgeStats {
  toMulticast: DirectionStats;
  toCan: DirectionStats;
  can: CanSocketCounters;
  multicast: MulticastBusStats;
  /** Milliseconds since a frame was last passed on, per direction; null before the first. */
  lastFrameAgeMs: { toMulticast: number | null; toCan: number | null };
}

const DEFAULT_DIRECTION: DirectionOptions = { enabled: true, filters: [], errorFrames: true };

export class Bridge {
  readonly #can: CanSocketLike;
  readonly #multicast: MulticastEndpoint;
  readonly #senderId: string;
  readonly #ignore: ReadonlySet<string>;
  readonly #toMulticast: DirectionOptions;
  readonly #toCan: DirectionOptions;
  readonly #allowSource: ((address: string) => boolean) | null;
  readonly #log: Logger;
  readonly #warnings: RateLimitedLog;
  readonly #stats: { toMulticast: DirectionStats; toCan: DirectionStats } = {
    toMulticast: { frames: 0, bytes: 0, dropped: {} },
    toCan: { frames: 0, bytes: 0, dropped: {} },
  };
  readonly #nowMs: () => number;
  /** `#nowMs()` when a frame was last passed on, per direction; -1 before the first. */
  readonly #lastFrameAt = { toMulticast: -1, toCan: -1 };
  #started = false;
  #closed = false;

  constructor(options: BridgeOptions) {
    this.#can = options.can;
    this.#multicast = options.multicast;
    this.#senderId = options.senderId;
    this.#ignore = new Set(options.ignoreSenders ?? []);
    this.#toMulticast = { ...DEFAULT_DIRECTION, ...options.toMulticast };
    this.#toCan = { ...DEFAULT_DIRECTION, ...options.toCan };
    this.#allowSource = options.allowSource ?? null;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'bridge' });
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#warnings = new RateLimitedLog(this.#log, {
      intervalMs: options.warnIntervalMs ?? 10_000,
    });
  }

  /** Starts relaying; both endpoints must be started by the caller. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#can.on('frames', this.#onCanFrames);
    this.#can.on('drop', this.#onCanDrop);
    this.#can.on('state', this.#onCanState);
    this.#multicast.on('frame', this.#onMulticastFrame);
    this.#log.info(
      {
        senderId: this.#senderId,
        iface: this.#can.interfaceName,
        toMulticast: this.#toMulticast.enabled,
        toCan: this.#toCan.enabled,
      },
      'bridge started',
    );
  }

  /** Stops relaying (the endpoints are closed by their owner). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#warnings.flush();
    this.#can.off('frames', this.#onCanFrames);
    this.#multicast.off('frame', this.#onMulticastFrame);
    // 'drop' and 'state' stay subscribed: the CAN socket's flush on close still reports drops.
  }

  /** A snapshot of the relay's counters and both endpoints'. */
  stats(): BridgeStats {
    const copy = (d: DirectionStats): DirectionStats => ({ ...d, dropped: { ...d.dropped } });
    const now = this.#nowMs();
    const age = (at: number): number | null => (at < 0 ? null : Math.max(0, now - at));
    return {
      toMulticast: copy(this.#stats.toMulticast),
      toCan: copy(this.#stats.toCan),
      can: this.#can.counters,
      multicast: this.#multicast.stats(),
      lastFrameAgeMs: {
        toMulticast: age(this.#lastFrameAt.toMulticast),
        toCan: age(this.#lastFrameAt.toCan),
      },
    };
  }

  #drop(direction: DirectionStats, reason: RelayDropReason, n = 1): void {
    direction.dropped[reason] = (direction.dropped[reason] ?? 0) + n;
  }

  /** CAN -> network: one kernel batch at a time. */
  #onCanFrames = (frames: CanFrame[]): void => {
    const dir = this.#stats.toMulticast;
    const opts = this.#toMulticast;
    if (!opts.enabled) {
      this.#drop(dir, 'disabled', frames.length);
      return;
    }
    const passedBefore = dir.frames;
    for (const frame of frames) {
      if (frame.isErrorFrame) {
        if (!opts.errorFrames) {
          this.#drop(dir, 'error_frame');
          continue;
        }
      } else if (opts.filters.length > 0 && !matchesCanFilters(opts.filters, kernelCanId(frame))) {
        // The kernel already filtered (CAN_RAW_FILTER); this only matters for a socket without it.
        this.#drop(dir, 'filtered');
        continue;
      }
      const out = frame.channel === this.#senderId ? frame : { ...frame, channel: this.#senderId };
      try {
        this.#multicast.send(out);
      } catch (err) {
        // ERR_INVALID_FRAME: python-can would reject it, so it must not go out.
        const reason = errorCode(err) === 'ERR_INVALID_FRAME' ? 'invalid' : 'send_failed';
        this.#drop(dir, reason);
        this.#warnings.warn(
          `to_multicast_${reason}`,
          { err, canId: frame.arbitrationId },
          'frame not sent to multicast',
        );
        continue;
      }
      dir.frames++;
      dir.bytes += frame.data.length;
    }
    // One clock read per kernel batch, not per frame.
    if (dir.frames !== passedBefore) this.#lastFrameAt.toMulticast = this.#nowMs();
  };

  /** Network -> CAN. */
  #onMulticastFrame = ({ frame, source }: ReceivedFrame): void => {
    const dir = this.#stats.toCan;
    const opts = this.#toCan;
    const channel = frame.channel;
    if (channel === this.#senderId) return this.#drop(dir, 'own_sender_id');
    if (typeof channel === 'string' && this.#ignore.has(channel)) {
      return this.#drop(dir, 'ignored_sender');
    }
    if (this.#allowSource !== null && !this.#allowSource(source.address)) {
      this.#warnings.warn(
        'source_not_allowed',
        { source: source.address },
        'datagram from a source not allowed',
      );
      return this.#drop(dir, 'source_not_allowed');
    }
    if (!opts.enabled) return this.#drop(dir, 'disabled');
    if (frame.isErrorFrame) {
      if (!opts.errorFrames) return this.#drop(dir, 'error_frame');
    } else if (opts.filters.length > 0 && !matchesCanFilters(opts.filters, kernelCanId(frame))) {
      return this.#drop(dir, 'filtered');
    }
    let out = frame;
    if (frame.isFd) {
      if (!this.#can.fdCapable) {
        this.#warnings.warn(
          'fd_unsupported',
          { iface: this.#can.interfaceName },
          'CAN FD frame for a classic CAN interface dropped',
        );
        return this.#drop(dir, 'fd_unsupported');
      }
      // python-can accepts any FD length up to 64; SocketCAN takes only the 16 DLC lengths.
      const padded = canFdPaddedLength(frame.data.length);
      if (padded !== frame.data.length) {
        const data = new Uint8Array(padded);
        data.set(frame.data);
        out = { ...frame, data, dlc: padded };
      }
    }
    // A false return is a drop the socket reports through its 'drop' event (counted there).
    if (this.#can.send(out)) {
      dir.frames++;
      dir.bytes += out.data.length;
      this.#lastFrameAt.toCan = this.#nowMs();
    }
  };

  #onCanDrop = (frames: readonly CanFrame[], reason: CanTxDropReason, err?: Error): void => {
    this.#drop(this.#stats.toCan, reason, frames.length);
    this.#warnings.warn(
      `can_tx_${reason}`,
      { reason, frames: frames.length, err },
      'frames not written to CAN',
    );
  };

  #onCanState = (change: CanStateChange, err?: Error): void => {
    this.#log.info({ iface: this.#can.interfaceName, state: change, err }, 'CAN interface state');
  };
}
