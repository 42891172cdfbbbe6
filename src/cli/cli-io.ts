/** What a CLI command needs from its process: injected, so tests run commands in-process. */
import type { MulticastBusOptions } from '../multicast/multicast-bus.js';
import type { MulticastBus } from '../multicast/multicast-bus.js';

export interface Writable {
  write(chunk: string): boolean;
}

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Creates the multicast endpoint; tests pass one on loopback or in a namespace. */
  createBus: (options: MulticastBusOptions) => MulticastBus;
  /** Seconds since the epoch, float. */
  clock: () => number;
  /** Aborted on SIGINT/SIGTERM by the entry point. */
  signal: AbortSignal;
}
