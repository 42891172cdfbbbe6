/** What a CLI command needs from its process: injected, so tests run commands in-process. */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { LogLevel } from '../config/formats.js';
import type { DaemonDeps } from '../daemon/daemon.js';
import type { MulticastBusDeps, MulticastBusOptions } from '../multicast/multicast-bus-types.js';
import type { MulticastBus } from '../multicast/multicast-bus.js';

export interface Writable {
  write(chunk: string): boolean;
}

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** What `send -` reads its lines from; default none (the entry point passes process.stdin). */
  stdin?: Readable;
  /** Creates the multicast endpoint; tests pass one on loopback or in a namespace. */
  createBus: (options: MulticastBusOptions, deps: MulticastBusDeps) => MulticastBus;
  /** Seconds since the epoch, float. */
  clock: () => number;
  /** Aborted on SIGINT/SIGTERM by the entry point. */
  signal: AbortSignal;
  /** The environment the configuration reads `CMB_*` variables from. */
  env: Readonly<Record<string, string | undefined>>;
  /** The daemon's root logger; default JSON lines to stdout. */
  createLogger?: (level: LogLevel) => Logger;
  /**
   * The daemon's collaborators: endpoint factories (default the native CAN socket and the
   * multicast bus) and the entry point's `settleHeap`.
   */
  daemonDeps?: Omit<DaemonDeps, 'logger'>;
  /** Called once the daemon runs (both sides open): systemd readiness. */
  onReady?: () => void;
}
