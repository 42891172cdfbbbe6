/**
 * Resolving the DNS names among the unicast peers: once at start and again every
 * `peerResolveMs`, so a peer whose address changes (a dynamic-DNS name, a re-created container)
 * is followed. A failed or empty answer keeps the last good one: a resolver that is down for a
 * while must not cut a link that still works. Addresses (IPv4 and IPv6 literals) need nothing.
 */
import { lookup } from 'node:dns/promises';
import type { Timers, CancelTimer } from '../net/timers.js';
import { canonicalAddress } from './peer-address.js';

/** The addresses of `name` in `family`; rejects (or resolves []) when there are none. */
export type ResolveHost = (name: string, family: 4 | 6) => Promise<string[]>;

/**
 * getaddrinfo(3) through Node's `dns.lookup`, which reads /etc/hosts and nsswitch.conf like every
 * other program on the host (`dns.resolve` would ask a DNS server only).
 */
export const lookupHost: ResolveHost = async (name, family) =>
  (await lookup(name, { family, all: true })).map((a) => a.address);

export interface PeerResolverDeps {
  resolveHost: ResolveHost;
  timers: Timers;
  /** A name's answer changed (`addresses` canonical, in the resolver's order; never empty). */
  changed(name: string, addresses: string[]): void;
  /** A lookup failed (or found nothing); the last answer stays. */
  failed(name: string, err: unknown): void;
}

export class PeerResolver {
  readonly #names: string[];
  readonly #family: 4 | 6;
  readonly #intervalMs: number;
  readonly #deps: PeerResolverDeps;
  readonly #answers = new Map<string, string>();
  #cancel: CancelTimer | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(names: Iterable<string>, family: 4 | 6, intervalMs: number, deps: PeerResolverDeps) {
    this.#names = [...new Set(names)];
    this.#family = family;
    this.#intervalMs = intervalMs;
    this.#deps = deps;
  }

  /** Resolves every name once (failures reported, not thrown), then again every interval. */
  async start(): Promise<void> {
    if (this.#names.length === 0) return;
    await this.resolveAll();
    if (this.#closed || this.#cancel !== null) return;
    this.#cancel = this.#deps.timers.every(this.#intervalMs, () => void this.resolveAll());
  }

  /** One round over every name; a round still running is not started twice. */
  resolveAll(): Promise<void> {
    this.#running ??= Promise.all(this.#names.map((name) => this.#resolve(name))).then(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #resolve(name: string): Promise<void> {
    let addresses: string[];
    try {
      addresses = (await this.#deps.resolveHost(name, this.#family)).map(canonicalAddress);
    } catch (err) {
      if (!this.#closed) this.#deps.failed(name, err);
      return;
    }
    if (this.#closed) return;
    if (addresses.length === 0) {
      this.#deps.failed(name, `no IPv${this.#family} address`);
      return;
    }
    const key = addresses.join(' ');
    if (this.#answers.get(name) === key) return;
    this.#answers.set(name, key);
    this.#deps.changed(name, addresses);
  }

  /** Stops the timer; answers still on their way are ignored. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#cancel?.();
    this.#cancel = null;
  }
}
