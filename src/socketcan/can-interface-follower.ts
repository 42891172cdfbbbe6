/**
 * `CanSocket`'s side of the interface monitor (src/net/interface-monitor.ts): the CAN socket's
 * state up / down / gone, from the monitor's looks at the link (IFF_UP, ifindex) and from what
 * the socket itself reports (ENETDOWN, ENODEV). A `back` (the interface re-created, or a new
 * ifindex between two looks) closes the old socket and opens a new one; a reopen that fails is
 * tried again at the next look.
 */
import type { Logger } from 'pino';
import type { InterfaceEvent } from '../net/interface-monitor.js';
import { InterfaceMonitor } from '../net/interface-monitor.js';
import type { LinkReader } from '../net/interface-reader.js';
import type { Timers } from '../net/timers.js';
import type { CanStateChange } from './can-socket-like.js';

/** The state of an open CAN socket's interface. */
export type CanLinkState = 'up' | 'down' | 'gone';

/** What the follower asks of the socket. */
export interface CanLinkHost {
  /** Opens the raw socket; returns its ifindex; throws when it cannot (ENODEV, ...). */
  open(): number;
  /** The interface is gone: close the raw socket, stop backing off. */
  lost(): void;
  /** Reopened after gone: count it (the flush follows the state change). */
  reopened(): void;
  /** Up again after down: send what is queued. */
  resumed(): void;
  /** Emits one state change. */
  changed(change: CanStateChange, err?: Error): void;
}

export interface CanInterfaceFollowerOptions {
  interface: string;
  /** Milliseconds between looks. */
  pollMs: number;
}

export interface CanInterfaceFollowerDeps {
  readLink: LinkReader;
  timers: Timers;
  log: Logger;
}

export class CanInterfaceFollower {
  readonly #name: string;
  readonly #host: CanLinkHost;
  readonly #log: Logger;
  readonly #monitor: InterfaceMonitor;
  #state: CanLinkState = 'gone';

  constructor(
    options: CanInterfaceFollowerOptions,
    deps: CanInterfaceFollowerDeps,
    host: CanLinkHost,
  ) {
    this.#name = options.interface;
    this.#host = host;
    this.#log = deps.log;
    // CAN interfaces have no addresses: IFF_UP decides, and getifaddrs is never called.
    this.#monitor = new InterfaceMonitor(
      { interface: options.interface, usable: 'link-up', intervalMs: options.pollMs },
      { reader: { link: deps.readLink, addresses: () => ({}) }, timers: deps.timers },
    );
    this.#monitor.on('change', (events) => {
      for (const e of events) this.#onInterface(e);
    });
  }

  get state(): CanLinkState {
    return this.#state;
  }

  /**
   * Starts looking. `ifindex`: the socket just opened (up or down as the link is); null: the
   * interface was missing (ENODEV), so it is 'gone' until a look finds it.
   */
  start(ifindex: number | null): void {
    this.#monitor.start();
    if (ifindex === null) {
      this.#state = 'gone';
      this.#monitor.forget();
    } else {
      this.#opened(ifindex, this.#monitor.get()?.up !== false);
    }
  }

  /** Stops looking (idempotent). */
  close(): void {
    this.#monitor.close();
  }

  /** The socket says the interface is down (ENETDOWN). */
  down(err: Error): void {
    this.#setState('down', err);
  }

  /** The socket says the interface is gone (ENODEV, ENXIO); closes it. */
  gone(err?: Error): void {
    if (this.#state === 'gone') return;
    this.#host.lost();
    this.#state = 'gone';
    // The next look that finds the interface reports it 'back', whatever the last one saw.
    this.#monitor.forget();
    this.#host.changed('gone', err);
  }

  /** Looks at the interface now (after ENODEV: it may be back already). */
  look(): void {
    this.#monitor.look();
  }

  #setState(next: 'up' | 'down', err?: Error): void {
    if (this.#state === next || this.#state === 'gone') return;
    this.#state = next;
    this.#host.changed(next, err);
    // What a socket error told us is news to the monitor: its next look reports 'up' from here.
    const seen = this.#monitor.get();
    if (seen !== undefined) this.#monitor.assume({ ...seen, up: next === 'up' });
    if (next === 'up') this.#host.resumed();
  }

  /** The socket is open: up or down as the monitor saw the link, its ifindex the reference. */
  #opened(ifindex: number, up: boolean): void {
    this.#state = up ? 'up' : 'down';
    const link = this.#monitor.get()?.link ?? null;
    this.#monitor.assume({ name: this.#name, ifindex, up, addresses: [], link });
  }

  /** `back` (also a new ifindex) reopens; up and down follow IFF_UP. */
  #onInterface(e: InterfaceEvent): void {
    if (this.#state === 'gone') {
      if (e.kind !== 'gone') this.#tryReopen(e.up);
    } else if (e.kind === 'gone') {
      this.gone();
    } else if (e.kind === 'back') {
      // Deleted and re-created between two looks.
      this.gone();
      this.#tryReopen(e.up);
    } else {
      this.#setState(e.kind);
    }
  }

  #tryReopen(up: boolean): void {
    let ifindex: number;
    try {
      ifindex = this.#host.open();
    } catch (err) {
      // Raced with another removal, or not ready yet: try again at the next look.
      this.#log.debug({ err }, 'can socket reopen failed');
      this.#monitor.forget();
      return;
    }
    this.#host.reopened();
    this.#opened(ifindex, up);
    this.#host.changed('back');
    if (this.#state === 'up') this.#host.changed('up');
  }
}
