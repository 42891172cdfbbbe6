/**
 * When the multicast endpoint re-joins, read from the interface monitor's events
 * (src/net/interface-monitor.ts) about the interface that carries the group. Pure bookkeeping: no
 * sockets, no timers.
 *
 * Why the bus must re-join at all: when an interface is deleted the kernel drops the group
 * membership with it (linux net/ipv4/igmp.c `ip_mc_destroy_dev`, net/ipv6/mcast.c
 * `ipv6_mc_destroy_dev`), and the sockets keep pointing at the old interface index
 * (IP_MULTICAST_IF's `inet->mc_index`, IPV6_MULTICAST_IF's `mcast_oif`, the connected route and
 * source address). A re-created interface with the same name has a new index: nothing on the old
 * sockets follows it.
 */
import type { InterfaceEvent, InterfaceSnapshot } from '../net/interface-monitor.js';
import { addressLost, indexChanged } from '../net/interface-monitor.js';

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

function rejoin(reason: RejoinReason, reopenReceive: boolean, reopenSend: boolean): Rejoin {
  return { kind: 'rejoin', reason, reopenReceive, reopenSend };
}

/** `now` is not the interface `before` was: gone, a new index, or an address lost. */
function replacedOrShrunk(before: InterfaceSnapshot, now: InterfaceEvent | InterfaceSnapshot) {
  return (
    ('kind' in now && now.kind === 'gone') || indexChanged(before, now) || addressLost(before, now)
  );
}

export class RejoinPolicy {
  readonly #named: boolean;
  #state: 'up' | 'gone' = 'up';
  /** The named interface as the sockets use it (at the last (re)join, or since with nothing lost). */
  #joined: InterfaceSnapshot | undefined;

  /** `named`: false for the kernel's choice, when the monitor watches every interface. */
  constructor(named: boolean) {
    this.#named = named;
  }

  /** 'gone' from a look that found the interface unusable (or a failed re-join) until a re-join succeeds. */
  get state(): 'up' | 'gone' {
    return this.#state;
  }

  /** The sockets were just (re)opened with the interface as the monitor last saw it. */
  markUp(joined: InterfaceSnapshot | undefined): void {
    this.#joined = joined;
    this.#state = 'up';
  }

  /**
   * A re-join failed; true when that is news (the interface was 'up' until now). The caller has
   * the monitor forget a named interface, so that the next look finding it retries.
   */
  markGone(): boolean {
    const news = this.#state === 'up';
    this.#state = 'gone';
    return news;
  }

  /**
   * One look's changes: 'gone' once when the named interface became unusable, 'rejoin' when the
   * sockets need opening again, else null. New addresses and interfaces need nothing (the
   * sockets keep working).
   */
  onChanges(events: readonly InterfaceEvent[]): InterfaceChange | null {
    if (!this.#named) return this.#onAny(events);
    const now = events.at(-1);
    if (now === undefined) return null;
    if (!now.up) {
      if (this.#state === 'gone') return null;
      this.#state = 'gone';
      return { kind: 'gone' };
    }
    const before = this.#joined;
    if (this.#state === 'gone') {
      // Back. The same interface (down and up, address removed and re-added) kept the membership.
      const same =
        before !== undefined && before.ifindex !== null && before.ifindex === now.ifindex;
      return rejoin('reappeared', !same, !same || before === undefined || addressLost(before, now));
    }
    if (before !== undefined && indexChanged(before, now))
      return rejoin('index_changed', true, true);
    if (before !== undefined && addressLost(before, now))
      return rejoin('address_lost', false, true);
    this.#joined = now;
    return null;
  }

  /**
   * The kernel's choice: it joined on the interface the group's route pointed at, which we cannot
   * name. New interfaces and addresses do not disturb it; an interface that went away or changed
   * may have been that one: re-join. While a re-join fails (no route for the group), retry on any
   * change that adds something.
   */
  #onAny(events: readonly InterfaceEvent[]): InterfaceChange | null {
    const any = rejoin('interfaces_changed', true, true);
    if (events.some((e) => e.previous !== null && replacedOrShrunk(e.previous, e))) return any;
    if (this.#state === 'gone') {
      const grown = events.some(
        (e) => e.kind !== 'gone' && (e.previous === null || replacedOrShrunk(e, e.previous)),
      );
      if (grown) return any;
    }
    return null;
  }
}
