/**
 * Watches the network interface that carries the multicast group, so the bus can re-join when it
 * comes back. Pure bookkeeping over `os.networkInterfaces()` and interface indexes: no sockets.
 *
 * Why the bus must re-join at all: when an interface is deleted the kernel drops the group
 * membership with it (linux net/ipv4/igmp.c `ip_mc_destroy_dev`, net/ipv6/mcast.c
 * `ipv6_mc_destroy_dev`), and the sockets keep pointing at the old interface index
 * (IP_MULTICAST_IF's `inet->mc_index`, IPV6_MULTICAST_IF's `mcast_oif`, the connected route and
 * source address). A re-created interface with the same name has a new index: nothing on the old
 * sockets follows it.
 */
import { readFileSync } from 'node:fs';
import type { IpFamily, NetworkInterfacesFn } from './multicast-address.js';

/** The index of the interface called `name`, or null when it does not exist or cannot be known. */
export type InterfaceIndexFn = (name: string) => number | null;

/**
 * The default `InterfaceIndexFn`: /sys/class/net/NAME/ifindex (Documentation/ABI/testing/
 * sysfs-class-net). sysfs shows the network namespace it was mounted in (`ip netns exec` mounts
 * the namespace's own), which is why an IPv6 link-local address's scope id, read through netlink
 * in our own namespace, is preferred when the interface has one.
 */
export function sysfsInterfaceIndex(name: string): number | null {
  if (process.platform !== 'linux' || !/^[^/\s:]{1,15}$/.test(name) || name === '..') return null;
  try {
    const index = Number.parseInt(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'), 10);
    return Number.isInteger(index) && index > 0 ? index : null;
  } catch {
    return null;
  }
}

/** Why the bus re-joins. */
export type RejoinReason =
  /** The named interface was gone (deleted, down, or without its address) and is usable again. */
  | 'reappeared'
  /** The named interface has a new index: deleted and re-created between two looks. */
  | 'index_changed'
  /** The named interface lost an address (the connected send socket's source may be stale). */
  | 'address_lost'
  /** No interface named (the kernel's choice): one went away or changed, or the group had none. */
  | 'interfaces_changed';

/**
 * What a re-join has to do. A receive socket is opened again only for a new (or unknown) index:
 * the kernel keeps a membership through link down/up and address loss, and a fresh socket would
 * lose the datagrams waiting in the old one. The send socket is opened again when its connected
 * source address may be stale too.
 */
export interface Rejoin {
  kind: 'rejoin';
  reason: RejoinReason;
  reopenReceive: boolean;
  reopenSend: boolean;
}

export type InterfaceChange = { kind: 'gone' } | Rejoin;

/** One interface as one look saw it. */
interface Seen {
  /** Null when unknown (no sysfs, no link-local address). */
  index: number | null;
  /** Addresses of the family in use (every address for IPv6 and when no interface is named). */
  addresses: string[];
}

/** One look: every usable interface by name (only the named one when one is named). */
type View = Map<string, Seen>;

export interface InterfaceWatchOptions {
  family: IpFamily;
  /** The interface to watch; null: the kernel's choice, so every interface is watched. */
  interfaceName: string | null;
  networkInterfaces: NetworkInterfacesFn;
  interfaceIndex: InterfaceIndexFn;
}

/** Both indexes known and different: the interface was deleted and re-created. */
function indexChanged(before: Seen, now: Seen): boolean {
  return before.index !== null && now.index !== null && before.index !== now.index;
}

/** Some address of `before` is not in `now`. */
function addressLost(before: Seen, now: Seen): boolean {
  return before.addresses.some((a) => !now.addresses.includes(a));
}

/** True when `now` is not the interface `before` was: gone, a new index, or an address lost. */
function replacedOrShrunk(before: Seen, now: Seen | undefined): boolean {
  return now === undefined || indexChanged(before, now) || addressLost(before, now);
}

function rejoin(reason: RejoinReason, reopenReceive: boolean, reopenSend: boolean): Rejoin {
  return { kind: 'rejoin', reason, reopenReceive, reopenSend };
}

export class InterfaceWatch {
  readonly #family: IpFamily;
  readonly #name: string | null;
  readonly #networkInterfaces: NetworkInterfacesFn;
  readonly #interfaceIndex: InterfaceIndexFn;
  #state: 'up' | 'gone' = 'up';
  /** The view the sockets were (re)opened with, plus interfaces added since. */
  #base: View | null = null;
  /** The latest view; it becomes the base once a re-join succeeds. */
  #latest: View | null = null;

  constructor(options: InterfaceWatchOptions) {
    this.#family = options.family;
    this.#name = options.interfaceName;
    this.#networkInterfaces = options.networkInterfaces;
    this.#interfaceIndex = options.interfaceIndex;
  }

  /** 'gone' from a look that found the interface unusable (or a failed re-join) until a re-join succeeds. */
  get state(): 'up' | 'gone' {
    return this.#state;
  }

  /** The named interface's index and addresses as last seen (for logs). */
  get seen(): { ifindex: number | null; addresses: string[] } {
    const seen = this.#name === null ? undefined : this.#latest?.get(this.#name);
    return { ifindex: seen?.index ?? null, addresses: seen?.addresses ?? [] };
  }

  /** Takes the view the sockets were just opened with. Throws when interfaces cannot be listed. */
  reset(): void {
    this.#latest = this.#look();
    this.#base = this.#latest;
    this.#state = 'up';
  }

  /**
   * Looks again: 'gone' once when the named interface became unusable, 'rejoin' when the sockets
   * need opening again (repeated at every look while a re-join keeps failing), else null. New
   * addresses and interfaces need nothing (the sockets keep working). Throws when the interfaces
   * cannot be listed.
   */
  poll(): InterfaceChange | null {
    const view = this.#look();
    const base = this.#base;
    this.#latest = view;
    if (base === null) {
      this.#base = view;
      return null;
    }
    if (this.#name === null) return this.#pollAny(base, view);
    const now = view.get(this.#name);
    if (now === undefined) {
      if (this.#state === 'gone') return null;
      this.#state = 'gone';
      return { kind: 'gone' };
    }
    const before = base.get(this.#name);
    if (this.#state === 'gone') {
      // Back. The same interface (down and up, address removed and re-added) kept the membership.
      const same = before !== undefined && before.index !== null && before.index === now.index;
      return rejoin('reappeared', !same, !same || before === undefined || addressLost(before, now));
    }
    if (before !== undefined && indexChanged(before, now)) {
      return rejoin('index_changed', true, true);
    }
    if (before !== undefined && addressLost(before, now)) {
      return rejoin('address_lost', false, true);
    }
    this.#base = view;
    return null;
  }

  /**
   * The kernel's choice: it joined on the interface the group's route pointed at, which we cannot
   * name. New interfaces and addresses do not disturb it; an interface that went away or changed
   * may have been that one: re-join. While a re-join fails (no route for the group), retry on any
   * change.
   */
  #pollAny(base: View, view: View): InterfaceChange | null {
    const any = rejoin('interfaces_changed', true, true);
    if ([...base].some(([name, before]) => replacedOrShrunk(before, view.get(name)))) return any;
    if (this.#state === 'gone') {
      const grown = [...view].some(([name, now]) => replacedOrShrunk(now, base.get(name)));
      if (grown) return any;
    }
    this.#base = view;
    return null;
  }

  /** A re-join succeeded: the latest view is what the new sockets use. */
  markUp(): void {
    this.#base = this.#latest;
    this.#state = 'up';
  }

  /** A re-join failed; true when that is news (the interface was 'up' until now). */
  markGone(): boolean {
    if (this.#name === null) this.#base = this.#latest; // retry at the next change
    const news = this.#state === 'up';
    this.#state = 'gone';
    return news;
  }

  /**
   * One look. A named interface is usable when listed (libuv lists interfaces up and running, with
   * an address) with an address of its family for IPv4 (it joins and sends by that address).
   */
  #look(): View {
    const all = this.#networkInterfaces();
    const view: View = new Map();
    for (const [name, entries = []] of Object.entries(all)) {
      if (this.#name !== null && name !== this.#name) continue;
      const usable =
        this.#family === 4 && this.#name !== null
          ? entries.filter((e) => e.family === 'IPv4')
          : entries;
      if (usable.length === 0) continue;
      // A link-local IPv6 address's scope id is the interface index, read in our own namespace.
      let index: number | null = null;
      for (const e of entries) if (e.family === 'IPv6' && e.scopeid > 0) index ??= e.scopeid;
      index ??= this.#interfaceIndex(name);
      view.set(name, { index, addresses: usable.map((e) => e.address) });
    }
    return view;
  }
}
