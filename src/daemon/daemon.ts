/**
 * The daemon: one CAN interface and one multicast group, bridged both ways, with periodic
 * statistics. Opens both endpoints from a `BridgeConfig`, relays through `Bridge`, and on `close()`
 * stops reading, flushes what is queued (bounded) and logs the final statistics.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Bridge } from '../bridge/bridge.js';
import type { BridgeStats } from '../bridge/bridge.js';
import { BUS_STATE_ERROR_MASK, BusStateWatch } from '../bridge/bus-state.js';
import type { BridgeConfig } from '../config/bridge-config.js';
import { createSourceFilter } from '../net/cidr.js';
import type { HealthSnapshot, MulticastSideState } from '../metrics/health.js';
import { MetricsServer } from '../metrics/metrics-server.js';
import { MulticastBus } from '../multicast/multicast-bus.js';
import type { MulticastBusDeps, MulticastBusOptions } from '../multicast/multicast-bus-types.js';
import { warmUpCodec } from '../protocol/warm-up.js';
import { warmUpKernelFrames } from '../socketcan/kernel-frame-warm-up.js';
import { CAN_ERR_MASK } from '../can/linux-can.js';
import { CanSocket } from '../socketcan/can-socket.js';
import type { CanSocketOptions } from '../socketcan/can-socket-options.js';
import type { CanSocketLike } from '../socketcan/can-socket-like.js';

export interface DaemonDeps {
  logger: Logger;
  /** Default: the native `CanSocket`. */
  createCanSocket?: (options: CanSocketOptions, logger: Logger) => CanSocketLike;
  /** Default: `MulticastBus`. */
  createMulticast?: (options: MulticastBusOptions, deps: MulticastBusDeps) => MulticastBus;
  /**
   * A full garbage collection, run once when start-up is done (before 'bridge running'); the
   * entry point passes V8's. Without it, the heap that loading and start-up left behind is
   * collected by a mark-compact of 20-50 ms in the first second of traffic (VM, --trace-gc).
   */
  settleHeap?: () => void;
}

export interface DaemonEvents {
  /** Both sides are open and frames flow (systemd READY=1). */
  ready: [];
  /** A fatal error: the daemon cannot go on (it has been destroyed). */
  error: [Error];
}

/** The CAN socket options a config asks for. */
export function canSocketOptions(config: BridgeConfig): CanSocketOptions {
  const toMulticast = config.toMulticast;
  return {
    interface: config.can.interface,
    fd: config.can.fd,
    // Reading nothing when this direction is off: an empty CAN_RAW_FILTER list (linux/can/raw.h).
    filters: toMulticast.enabled
      ? toMulticast.filters.length > 0
        ? toMulticast.filters
        : undefined
      : [],
    // The bus-state watch always needs bus-off, restarted and controller reports; the bridge drops
    // (and counts) error frames that are not to be forwarded.
    errorMask: toMulticast.enabled && toMulticast.errorFrames ? CAN_ERR_MASK : BUS_STATE_ERROR_MASK,
    // Other programs on this CAN interface see what we write; we do not read it back (no loop).
    loopback: true,
    receiveOwnMessages: false,
    // 0 (the kernel's default) passes through: CanSocket's own default is for `undefined` only.
    receiveBufferBytes: config.can.receiveBufferBytes,
    timestamps: true,
    channel: config.sender.id,
    txQueueLimit: config.txQueue.size,
    txMaxAgeMs: config.txQueue.staleMs,
  };
}

/** The multicast options a config asks for. */
export function multicastOptions(config: BridgeConfig): MulticastBusOptions {
  const m = config.multicast;
  return {
    group: m.group,
    port: m.port,
    interface: m.interface === '' ? null : m.interface,
    hopLimit: m.hopLimit,
    loopback: m.loopback,
    receiveBufferBytes: m.receiveBufferBytes,
    interfaceCheckIntervalMs: m.interfaceCheckMs,
    peers: m.peers,
    peerResolveMs: m.peerResolveMs,
    // allowSources also admits unicast from its networks (a peer whose address is not known
    // ahead); the relay then checks every frame against it, the group's and the peers' alike.
    acceptUnicastFrom: m.allowSources.length > 0 ? createSourceFilter(m.allowSources) : undefined,
  };
}

export class Daemon extends EventEmitter<DaemonEvents> {
  readonly #config: BridgeConfig;
  readonly #log: Logger;
  readonly #root: Logger;
  readonly #createCanSocket: NonNullable<DaemonDeps['createCanSocket']>;
  readonly #createMulticast: NonNullable<DaemonDeps['createMulticast']>;
  readonly #settleHeap: (() => void) | undefined;
  #can: CanSocketLike | null = null;
  #multicast: MulticastBus | null = null;
  #bridge: Bridge | null = null;
  #busState: BusStateWatch | null = null;
  #multicastState: MulticastSideState = 'idle';
  #metrics: MetricsServer | null = null;
  #statsTimer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #starting: Promise<void> | null = null;
  #startedAt = 0;

  constructor(config: BridgeConfig, deps: DaemonDeps) {
    super();
    this.#config = config;
    this.#root = deps.logger;
    this.#log = deps.logger.child({ component: 'daemon' });
    this.#createCanSocket =
      deps.createCanSocket ?? ((options, logger) => new CanSocket(options, { logger }));
    this.#createMulticast =
      deps.createMulticast ?? ((options, busDeps) => new MulticastBus(options, busDeps));
    this.#settleHeap = deps.settleHeap;
  }

  /**
   * Opens the CAN interface, then the multicast group, then relays. Rejects with a BridgeError
   * (ERR_CAN_OPEN, or the multicast bus's ERR_MULTICAST_* / ERR_INVALID_GROUP ...) whose message is
   * one line with the cause; everything opened so far is closed again. Idempotent: every call
   * returns the same promise.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const config = this.#config;
    // Compile the codec and the kernel frame layout before the first frame, not during the first
    // seconds of traffic.
    const warmStart = performance.now();
    warmUpCodec(config.sender.id);
    warmUpKernelFrames(config.sender.id);
    this.#log.debug({ ms: Math.round(performance.now() - warmStart) }, 'frame paths warmed up');
    const can = this.#createCanSocket(canSocketOptions(config), this.#root);
    this.#can = can;
    try {
      // CanSocket rejects with ERR_CAN_OPEN, its one-line message naming the interface and the fix.
      await can.start();
    } catch (err) {
      this.#can = null;
      throw err;
    }
    const multicast = this.#createMulticast(multicastOptions(config), { logger: this.#root });
    this.#multicast = multicast;
    try {
      await multicast.start();
    } catch (err) {
      this.#multicast = null;
      can.destroy();
      this.#can = null;
      throw err;
    }
    this.#multicastState = 'open';
    multicast.once('close', () => (this.#multicastState = 'closed'));
    const bridge = new Bridge({
      can,
      multicast,
      senderId: config.sender.id,
      ignoreSenders: config.sender.ignore,
      toMulticast: config.toMulticast,
      toCan: config.toCan,
      allowSource:
        config.multicast.allowSources.length > 0
          ? createSourceFilter(config.multicast.allowSources)
          : undefined,
      logger: this.#root,
    });
    this.#bridge = bridge;
    can.on('error', this.#onFatal);
    multicast.on('error', this.#onFatal);
    bridge.start();
    this.#busState = new BusStateWatch({ can, logger: this.#root });
    this.#busState.start();
    this.#startedAt = performance.now();
    if (config.stats.intervalMs > 0) {
      this.#statsTimer = setInterval(() => this.#logStats('stats'), config.stats.intervalMs);
      this.#statsTimer.unref();
    }
    if (config.metrics.enabled) {
      try {
        await this.#startMetrics();
      } catch (err) {
        this.destroy();
        throw err;
      }
    }
    this.#settleHeap?.();
    this.#log.info(
      {
        iface: config.can.interface,
        fd: can.fdCapable,
        group: multicast.info?.group,
        port: multicast.info?.port,
        netIface: multicast.info?.interface,
        peers: config.multicast.peers,
        senderId: config.sender.id,
      },
      'bridge running',
    );
    this.emit('ready');
  }

  /** Counters of the relay and both endpoints; null before `start()`. */
  stats(): BridgeStats | null {
    return this.#bridge?.stats() ?? null;
  }

  /** Both sides now, for `/healthz` (src/metrics/health.ts). */
  health(): HealthSnapshot {
    const info = this.#multicast?.info ?? null;
    return {
      can: {
        interface: this.#config.can.interface,
        state: this.#can?.state ?? 'idle',
        busState: this.#busState?.state ?? null,
      },
      multicast: {
        group: info?.group ?? null,
        port: info?.port ?? null,
        state: this.#multicastState,
      },
    };
  }

  /** Where the metrics endpoint listens; null when it is off or not started. */
  get metricsAddress(): AddressInfo | null {
    return this.#metrics?.address ?? null;
  }

  /**
   * Stops reading, lets queued CAN frames and pending datagrams go out (bounded by the CAN
   * socket's close timeout), closes both sides and logs the final statistics. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopTimer();
      this.#bridge?.close();
      this.#busState?.close();
      await Promise.allSettled([
        this.#can?.close(),
        this.#multicast?.close(),
        this.#metrics?.close(),
      ]);
      this.#logStats('final stats');
      this.#log.info({}, 'bridge stopped');
    })();
    return this.#closing;
  }

  /** Closes both sides now, dropping what is queued; emits 'error' with `err` if given. */
  destroy(err?: Error): void {
    this.#stopTimer();
    this.#bridge?.close();
    this.#busState?.close();
    this.#can?.destroy();
    this.#multicast?.destroy();
    this.#metrics?.destroy();
    this.#closing ??= Promise.resolve();
    if (err !== undefined) this.emit('error', err);
  }

  #onFatal = (err: Error): void => {
    this.#log.fatal({ err }, 'fatal error');
    this.destroy(err);
  };

  /** Serves /metrics and /healthz (config `metrics`); rejects with ERR_METRICS_LISTEN. */
  async #startMetrics(): Promise<void> {
    const { host, port } = this.#config.metrics;
    // Loaded only when enabled: prom-client took ~14% of start-up in the test VM (bridge bench).
    const { createBridgeMetrics } = await import('../metrics/bridge-metrics.js');
    const registry = createBridgeMetrics(this, { txQueueCapacity: this.#config.txQueue.size });
    this.#metrics = new MetricsServer({
      host,
      port,
      registry,
      health: () => this.health(),
      logger: this.#root,
    });
    await this.#metrics.start();
  }

  #stopTimer(): void {
    if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
  }

  #logStats(msg: string): void {
    const stats = this.stats();
    if (stats === null) return;
    const uptimeS = Math.round((performance.now() - this.#startedAt) / 1000);
    const m = stats.multicast;
    const mean = (n: number, batches: number): number =>
      batches === 0 ? 0 : Math.round((n / batches) * 10) / 10;
    // Datagrams per recvmmsg / sendmmsg: how well the system calls are shared under load.
    const udpBatches = {
      receiveMean: mean(m.datagrams, m.receiveBatches),
      receiveMax: m.receiveBatchMax,
      sendMean: mean(m.sent, m.sendBatches),
      sendMax: m.sendBatchMax,
    };
    this.#log.info({ uptimeS, ...stats, udpBatches }, msg);
  }
}
