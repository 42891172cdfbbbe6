/**
 * `InterfaceMonitor`: looks at a network interface (or at every interface with an address) at an
 * interval and tells what changed since the last look, in one vocabulary for both endpoints:
 *
 * - `gone`: it is not there any more (deleted, or for the kernel's choice: no longer listed);
 * - `back`: it is there again, or it was replaced (a new ifindex: deleted and re-created between
 *   two looks); `up` says whether it is usable as well;
 * - `down`: it is there but no longer usable;
 * - `up`: it is usable again, and again whenever its ifindex becomes known or its addresses change.
 *
 * What "usable" means is the caller's rule: administratively up (IFF_UP) for CAN, which has no
 * addresses; listed by getifaddrs (up, running and with an address) with an address of the family
 * in use for the multicast endpoint, which joins and sends through that address.
 *
 * The monitor only observes. What to do about a change (reopen a CAN socket, re-join a group) and
 * when to try again is the endpoint's policy; an endpoint that learns more than a look can see (a
 * socket error saying ENETDOWN, a reopen that failed) tells the monitor with `assume()` or
 * `forget()`, so the next look reports the difference from that.
 */
import { EventEmitter } from 'node:events';
import type { NetworkInterfaceInfo } from 'node:os';
import { asError } from '../errors.js';
import type { InterfaceLink, InterfaceReader } from './interface-reader.js';
import { systemInterfaceReader } from './interface-reader.js';
import type { CancelTimer, Timers } from './timers.js';
import { systemTimers } from './timers.js';

/** When an interface counts as usable. */
export type UsableRule =
  /** IFF_UP (CAN: addresses are not read at all). */
  | 'link-up'
  /** Listed with an IPv4 address. */
  | 'ipv4-address'
  /** Listed with any address. */
  | 'any-address';

/** One interface as one look saw it. */
export interface InterfaceSnapshot {
  name: string;
  /** Null when unknown (no sysfs, no IPv6 link-local address). */
  ifindex: number | null;
  /** Usable under the monitor's rule. */
  up: boolean;
  /** Addresses the rule counts (every address of the interface for 'any-address'). */
  addresses: readonly string[];
  /** The link as sysfs showed it; null when it could not be read. */
  link: InterfaceLink | null;
}

export type InterfaceEventKind = 'up' | 'down' | 'gone' | 'back';

/** A change since the last look; for `gone`, ifindex is the one it had and `up` is false. */
export interface InterfaceEvent extends InterfaceSnapshot {
  kind: InterfaceEventKind;
  /** The interface at the look before; null when it was not there (or was forgotten). */
  previous: InterfaceSnapshot | null;
}

export interface InterfaceMonitorOptions {
  /** The interface to watch; null: every interface listed with an address (usable by listing). */
  interface: string | null;
  usable: UsableRule;
  /** Milliseconds between looks. */
  intervalMs: number;
}

/** Collaborators, with real defaults. */
export interface InterfaceMonitorDeps {
  reader?: InterfaceReader;
  timers?: Timers;
}

export interface InterfaceMonitorEvents {
  /** What one look found changed, one event per interface (never empty). */
  change: [events: readonly InterfaceEvent[]];
  /** A look failed (the addresses could not be listed); the next look tries again. */
  unreadable: [err: Error];
}

/** Both indexes known and different: deleted and re-created. */
export function indexChanged(before: InterfaceSnapshot, now: InterfaceSnapshot): boolean {
  return before.ifindex !== null && now.ifindex !== null && before.ifindex !== now.ifindex;
}

/** Some address of `before` is not in `now`. */
export function addressLost(before: InterfaceSnapshot, now: InterfaceSnapshot): boolean {
  return before.addresses.some((a) => !now.addresses.includes(a));
}

function sameAddresses(a: InterfaceSnapshot, b: InterfaceSnapshot): boolean {
  return a.addresses.length === b.addresses.length && !addressLost(a, b);
}

/** What happened between `before` and `now`, or null when nothing the vocabulary names. */
function changeKind(
  before: InterfaceSnapshot | undefined,
  now: InterfaceSnapshot | undefined,
): InterfaceEventKind | null {
  if (now === undefined) return before === undefined ? null : 'gone';
  if (before === undefined || indexChanged(before, now)) return 'back';
  if (before.up !== now.up) return now.up ? 'up' : 'down';
  const newIndex = before.ifindex === null && now.ifindex !== null;
  return now.up && (newIndex || !sameAddresses(before, now)) ? 'up' : null;
}

/** A link-local IPv6 address's scope id is the interface index, read in our own namespace. */
function scopeIndex(entries: readonly NetworkInterfaceInfo[]): number | null {
  for (const e of entries) if (e.family === 'IPv6' && e.scopeid > 0) return e.scopeid;
  return null;
}

export class InterfaceMonitor extends EventEmitter<InterfaceMonitorEvents> {
  readonly #options: InterfaceMonitorOptions;
  readonly #reader: InterfaceReader;
  readonly #timers: Timers;
  #view = new Map<string, InterfaceSnapshot>();
  /** No look has succeeded yet: the first one is the starting point, not a change. */
  #baseline = true;
  #stop: CancelTimer | null = null;
  #lastLookAt = -Infinity;

  constructor(options: InterfaceMonitorOptions, deps: InterfaceMonitorDeps = {}) {
    super();
    this.#options = options;
    this.#reader = deps.reader ?? systemInterfaceReader;
    this.#timers = deps.timers ?? systemTimers;
  }

  /** When the last look was taken (the timers' monotonic ms); -Infinity before the first. */
  get lastLookAt(): number {
    return this.#lastLookAt;
  }

  /** The watched interface (or `name`) as last seen; undefined when it was not there. */
  get(name = this.#options.interface): InterfaceSnapshot | undefined {
    return name === null ? undefined : this.#view.get(name);
  }

  /** Takes the first look (no events) and looks again every `intervalMs`. Idempotent. */
  start(): void {
    if (this.#stop !== null) return;
    this.look();
    this.#stop = this.#timers.every(this.#options.intervalMs, () => this.look());
  }

  /** Stops looking (idempotent); `look()` still works. */
  close(): void {
    this.#stop?.();
    this.#stop = null;
  }

  /** Looks now and emits one `change` with every interface that changed (or `unreadable`). */
  look(): void {
    this.#lastLookAt = this.#timers.now();
    let view: Map<string, InterfaceSnapshot>;
    try {
      view = this.#read();
    } catch (err) {
      this.emit('unreadable', asError(err));
      return;
    }
    const before = this.#view;
    this.#view = view;
    if (this.#baseline) {
      this.#baseline = false;
      return;
    }
    const events: InterfaceEvent[] = [];
    for (const name of new Set([...before.keys(), ...view.keys()])) {
      const previous = before.get(name);
      const now = view.get(name);
      const kind = changeKind(previous, now);
      if (kind === null) continue;
      const seen = now ?? { name, ifindex: previous?.ifindex ?? null, up: false, addresses: [] };
      events.push({ link: null, ...seen, kind, previous: previous ?? null });
    }
    // One event for the whole look: an endpoint re-joins once for several interfaces changed.
    if (events.length > 0) this.emit('change', events);
  }

  /**
   * The caller knows better than the last look (e.g. ENETDOWN from a socket, or the index of the
   * socket it just opened): the next look reports changes from `snapshot`.
   */
  assume(snapshot: InterfaceSnapshot): void {
    this.#view.set(snapshot.name, snapshot);
  }

  /** Forget `name`: the next look that finds it reports it `back` (to retry a failed reopen). */
  forget(name = this.#options.interface): void {
    if (name !== null) this.#view.delete(name);
  }

  #read(): Map<string, InterfaceSnapshot> {
    const { interface: name, usable } = this.#options;
    const view = new Map<string, InterfaceSnapshot>();
    if (name === null) {
      for (const [n, entries = []] of Object.entries(this.#reader.addresses())) {
        if (entries.length === 0) continue;
        const link = scopeIndex(entries) === null ? this.#reader.link(n) : null;
        const ifindex = scopeIndex(entries) ?? link?.ifindex ?? null;
        view.set(n, { name: n, ifindex, up: true, addresses: entries.map((e) => e.address), link });
      }
      return view;
    }
    const link = this.#reader.link(name);
    const entries = usable === 'link-up' ? [] : (this.#reader.addresses()[name] ?? []);
    const counted =
      usable === 'ipv4-address' ? entries.filter((e) => e.family === 'IPv4') : entries;
    if (link === null && entries.length === 0) return view;
    view.set(name, {
      name,
      ifindex: scopeIndex(entries) ?? link?.ifindex ?? null,
      up: usable === 'link-up' ? link?.up === true : counted.length > 0,
      addresses: counted.map((e) => e.address),
      link,
    });
    return view;
  }
}
