/**
 * The multicast endpoint's side of the interface monitor: watches the interface that carries the
 * group (every interface for the kernel's choice), asks the sockets to re-join when the rejoin
 * policy says so, logs 'gone' and 'back' with the reason, and keeps an unconnected send socket
 * being retried. The sockets themselves are multicast-sockets.ts's.
 */
import type { Logger } from 'pino';
import type { InterfaceEvent } from '../net/interface-monitor.js';
import { InterfaceMonitor } from '../net/interface-monitor.js';
import type { AddressReader, LinkReader } from '../net/interface-reader.js';
import type { CancelTimer, Timers } from '../net/timers.js';
import type { Rejoin } from './rejoin-policy.js';
import { RejoinPolicy } from './rejoin-policy.js';

/** A failed send looks at the interfaces at once, but not more often than this. */
const MIN_CHECK_GAP_MS = 200;
/** Send errors that may mean the interface went away or changed (linux ip(7), ipv6(7), udp(7)). */
const INTERFACE_ERRORS = new Set([
  'ENODEV',
  'ENXIO',
  'EADDRNOTAVAIL',
  'ENETUNREACH',
  'ENETDOWN',
  'EINVAL',
]);

/** What a re-join did, for the 'multicast interface back' log. */
export interface RejoinDone {
  reopened: { receive: boolean; send: boolean };
  sendPort: number;
  connected: boolean;
}

/** The sockets, as the follower drives them. */
export interface RejoinTarget {
  /** Re-joins as `change` says; `{ err }` when the interface is not usable yet (nothing left open). */
  rejoin(change: Rejoin): RejoinDone | { err: unknown };
  /** The send socket could not connect: try again (the target spaces the tries). */
  retryConnect(): void;
  connected(): boolean;
}

export interface InterfaceFollowerOptions {
  /** The interface named in the options (logged as `iface`); null: the kernel's choice. */
  interface: string | null;
  /** The interface the group resolved to (null: the kernel's choice). */
  interfaceName: string | null;
  family: 4 | 6;
  intervalMs: number;
}

export interface InterfaceFollowerDeps {
  readLink: LinkReader;
  networkInterfaces: AddressReader;
  timers: Timers;
  log: Logger;
  /** The bus's rate-limited warning. */
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
}

export class InterfaceFollower {
  readonly #options: InterfaceFollowerOptions;
  readonly #deps: InterfaceFollowerDeps;
  readonly #target: RejoinTarget;
  readonly #monitor: InterfaceMonitor;
  readonly #policy: RejoinPolicy;
  #stopConnectRetry: CancelTimer | null = null;
  #open = false;
  #rejoining = false;

  /**
   * A named IPv4 interface is usable with an IPv4 address (it joins and sends by that address);
   * otherwise with any address.
   */
  constructor(
    options: InterfaceFollowerOptions,
    deps: InterfaceFollowerDeps,
    target: RejoinTarget,
  ) {
    this.#options = options;
    this.#deps = deps;
    this.#target = target;
    const named = options.interfaceName !== null;
    this.#monitor = new InterfaceMonitor(
      {
        interface: options.interfaceName,
        usable: options.family === 4 && named ? 'ipv4-address' : 'any-address',
        intervalMs: options.intervalMs,
      },
      { reader: { link: deps.readLink, addresses: deps.networkInterfaces }, timers: deps.timers },
    );
    this.#monitor.on('unreadable', (err) => {
      deps.warn('interfaces', { err }, 'cannot list the network interfaces');
    });
    this.#monitor.on('change', this.#onChanges);
    this.#policy = new RejoinPolicy(named);
  }

  /** Takes the interfaces the sockets were just opened with and starts looking. */
  start(): void {
    this.#open = true;
    this.#monitor.start();
    this.#policy.markUp(this.#monitor.get());
    this.#stopConnectRetry = this.#deps.timers.every(this.#options.intervalMs, () => {
      if (this.#open && !this.#target.connected() && this.#policy.state === 'up') {
        this.#target.retryConnect();
      }
    });
  }

  /** A send failed: look at the interfaces now if it may mean the interface went away or changed. */
  sendFailed(err: NodeJS.ErrnoException): void {
    if (!this.#open || this.#rejoining) return;
    if (err.code === undefined || !INTERFACE_ERRORS.has(err.code)) return;
    if (this.#deps.timers.now() - this.#monitor.lastLookAt < MIN_CHECK_GAP_MS) return;
    this.#monitor.look();
  }

  /** Stops looking (idempotent). */
  close(): void {
    this.#open = false;
    this.#monitor.close();
    this.#stopConnectRetry?.();
    this.#stopConnectRetry = null;
  }

  /** What one look found: logs 'gone', or re-joins when the sockets need it. */
  #onChanges = (events: readonly InterfaceEvent[]): void => {
    if (!this.#open || this.#rejoining) return;
    const change = this.#policy.onChanges(events);
    if (change === null) return;
    if (change.kind === 'gone') {
      this.#deps.log.info({ iface: this.#options.interface }, 'multicast interface gone');
      return;
    }
    this.#rejoining = true;
    try {
      this.#rejoin(change);
    } catch (err) {
      this.#deps.log.error({ err }, 'multicast re-join failed unexpectedly');
    } finally {
      this.#rejoining = false;
    }
  };

  #rejoin(change: Rejoin): void {
    const done = this.#target.rejoin(change);
    if ('err' in done) {
      // The next look that finds the named interface tries again (the kernel's choice: the next change).
      this.#monitor.forget();
      const { err } = done;
      if (this.#policy.markGone()) {
        this.#deps.log.info({ iface: this.#options.interface, err }, 'multicast interface gone');
      } else {
        this.#deps.log.debug({ err, reason: change.reason }, 'multicast re-join failed');
      }
      return;
    }
    const seen = this.#monitor.get();
    this.#policy.markUp(seen);
    this.#deps.log.info(
      {
        iface: this.#options.interface,
        ifindex: seen?.ifindex ?? null,
        addresses: seen?.addresses ?? [],
        reason: change.reason,
        ...done,
      },
      'multicast interface back',
    );
  }
}
