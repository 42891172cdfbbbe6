/**
 * Which datagrams are our own: this host's addresses (listed again when an unknown source shows
 * up, at most once a second), and the kernel own-echo filter (own-echo-filter.ts) kept in step
 * with them and with the send port. Used by `MulticastBus`; no sockets of its own.
 */
import { BridgeError } from '../errors.js';
import type { Logger } from 'pino';
import { localAddresses, stripScope } from './multicast-address.js';
import type { NetworkInterfacesFn } from './multicast-address.js';
import { ownEchoFilterProgram } from './own-echo-filter.js';
import type { AttachEchoFilter } from './native-socket-options.js';
import type { UdpSocket } from './udp-socket.js';

const LOCAL_REFRESH_INTERVAL_MS = 1000;

export interface OwnEchoGuardOptions {
  networkInterfaces: NetworkInterfacesFn;
  /** null: no kernel filter, own echoes are only recognised by `isLocal`. */
  attach: AttachEchoFilter | null;
  log: Logger;
  /** A rate-limited warning (the bus's). */
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
}

/** Where the kernel filter goes: the receive socket, its family and our send port. */
export interface EchoFilterTarget {
  rx: UdpSocket | null;
  family: 'IPv4' | 'IPv6';
  sendPort: number;
}

export class OwnEchoGuard {
  readonly #options: OwnEchoGuardOptions;
  #local = new Set<string>();
  #refreshedAt = 0;
  /** The program on the receive socket now (to skip re-attaching the same one), or null. */
  #installed: { rx: UdpSocket; key: string } | null = null;

  constructor(options: OwnEchoGuardOptions) {
    this.#options = options;
  }

  /** True when the kernel filter is on `rx` now (own echoes to it are dropped in the kernel). */
  attachedTo(rx: UdpSocket | null): boolean {
    return rx !== null && this.#installed?.rx === rx;
  }

  /** True when `address` (with or without `%scope`) is one of this host's. */
  isLocal(address: string, target: EchoFilterTarget): boolean {
    const addr = stripScope(address);
    if (this.#local.has(addr)) return true;
    // An address added since the last listing: look again, at most once a second.
    this.refresh(false, target);
    return this.#local.has(addr);
  }

  /** Lists the host's addresses again (`force`, or when the last listing is a second old). */
  refresh(force: boolean, target: EchoFilterTarget): void {
    const now = Date.now();
    if (!force && now - this.#refreshedAt < LOCAL_REFRESH_INTERVAL_MS) return;
    this.#refreshedAt = now;
    try {
      this.#local = localAddresses(this.#options.networkInterfaces);
    } catch (err) {
      this.#options.warn('interfaces', { err }, 'cannot list local addresses');
    }
    this.install(target);
  }

  /**
   * (Re)attaches the kernel own-echo filter for the send port and local addresses. When that is
   * impossible (no addon, a fake socket, too many addresses) own echoes still reach the process
   * and are dropped there by `isLocal`; nothing else changes.
   */
  install({ rx, family, sendPort }: EchoFilterTarget): void {
    const attach = this.#options.attach;
    if (attach === null || rx === null || sendPort < 0) return;
    const addresses = [...this.#local].sort();
    const key = `${family} ${sendPort} ${addresses.join(' ')}`;
    if (this.#installed?.rx === rx && this.#installed.key === key) return;
    const program = ownEchoFilterProgram({ family, sendPort, localAddresses: addresses });
    try {
      if (program === null)
        throw new BridgeError('ERR_OWN_ECHO_FILTER', `no filter for ${addresses.length} addresses`);
      attach(rx, program);
      this.#installed = { rx, key };
      this.#options.log.debug({ sendPort, addresses }, 'own-echo filter attached');
    } catch (err) {
      this.#installed = null;
      this.#options.log.debug(
        { err },
        'own-echo filter not attached: dropping own echoes in the process',
      );
    }
  }
}
