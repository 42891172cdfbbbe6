/**
 * Replaced send sockets, kept open with their ports still counted as ours while their last
 * datagrams may still come back through the multicast loop (so they are dropped as own echoes).
 */
import type { CancelTimer, Timers } from '../net/timers.js';
import type { UdpSocket } from './udp-socket.js';

/** How long a replaced send socket stays open. */
const RETIRED_SEND_SOCKET_MS = 2000;

export class RetiredSendPorts {
  readonly #timers: Timers;
  readonly #close: (sock: UdpSocket) => void;
  /** Ports of replaced send sockets still open, with the timers that close them. */
  readonly #ports = new Map<number, CancelTimer>();

  constructor(timers: Timers, close: (sock: UdpSocket) => void) {
    this.#timers = timers;
    this.#close = close;
  }

  /** True while a replaced send socket bound to `port` is still open. */
  has(port: number): boolean {
    return this.#ports.size > 0 && this.#ports.has(port);
  }

  /** Keeps `sock` (bound to `port`) open for a while, then closes it. */
  retire(sock: UdpSocket, port: number): void {
    this.#ports.get(port)?.();
    this.#ports.set(
      port,
      this.#timers.after(RETIRED_SEND_SOCKET_MS, () => {
        this.#ports.delete(port);
        this.#close(sock);
      }),
    );
  }

  /** Cancels the timers (the caller closes the sockets). */
  clear(): void {
    for (const cancel of this.#ports.values()) cancel();
    this.#ports.clear();
  }
}
