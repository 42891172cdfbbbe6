/**
 * The Prometheus metrics of one bridge, read from the daemon's counters when scraped (prom-client
 * `collect()` callbacks): nothing is counted twice and the frame path pays nothing for them.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { BridgeStats } from '../bridge/bridge.js';
import type { CanBusState } from '../bridge/bus-state.js';
import type { CanSocketState } from '../socketcan/can-socket-like.js';
import { DROP_REASONS, MULTICAST_BUS_OUTGOING } from './drop-reasons.js';
import { assessHealth } from './health.js';
import type { HealthSnapshot, MulticastSideState } from './health.js';

/** What the metrics are read from (the Daemon). */
export interface MetricsSource {
  /** Relay and endpoint counters; null before the bridge runs. */
  stats(): BridgeStats | null;
  health(): HealthSnapshot;
}

export interface BridgeMetricsOptions {
  /** The TX queue's capacity in frames (config `txQueue.size`), exported as a constant gauge. */
  txQueueCapacity?: number;
  /** Add prom-client's default process and Node.js metrics; default true. */
  processMetrics?: boolean;
}

/** Every metric name this module registers (besides prom-client's process_* and nodejs_*). */
export const METRIC_NAMES = [
  'cmb_frames_total',
  'cmb_bytes_total',
  'cmb_dropped_total',
  'cmb_tx_queue_frames',
  'cmb_tx_queue_capacity_frames',
  'cmb_can_kernel_drops_total',
  'cmb_can_rx_errors_total',
  'cmb_can_reopens_total',
  'cmb_can_state',
  'cmb_can_bus_state',
  'cmb_multicast_datagrams_total',
  'cmb_multicast_send_errors_total',
  'cmb_multicast_receive_errors_total',
  'cmb_multicast_rejoins_total',
  'cmb_multicast_kernel_drops_total',
  'cmb_multicast_state',
  'cmb_peer_datagrams_sent_total',
  'cmb_peer_send_errors_total',
  'cmb_peer_datagrams_received_total',
  'cmb_peer_last_seen_timestamp_seconds',
  'cmb_last_frame_age_seconds',
  'cmb_healthy',
] as const;

const CAN_STATES: readonly CanSocketState[] = ['idle', 'up', 'down', 'gone', 'closed'];
const BUS_STATES: readonly CanBusState[] = [
  'error-active',
  'error-warning',
  'error-passive',
  'bus-off',
];
const MULTICAST_STATES: readonly MulticastSideState[] = ['idle', 'open', 'closed'];
const DIRECTIONS = [
  ['toMulticast', 'to_multicast'],
  ['toCan', 'to_can'],
] as const;

/** A registry of its own (not prom-client's global one), so several daemons never collide. */
export function createBridgeMetrics(
  source: MetricsSource,
  options: BridgeMetricsOptions = {},
): Registry {
  const registry = new Registry();
  // Registry#metrics() calls every collect() in one synchronous pass: one snapshot serves them all.
  let cached: BridgeStats | null | undefined;
  const stats = (): BridgeStats | null => {
    if (cached === undefined) {
      cached = source.stats();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const registers = [registry];

  /** A counter that mirrors a running total of the daemon's at each scrape. */
  function mirrorCounter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (
      s: BridgeStats,
      set: (labels: Partial<Record<L, string>>, value: number) => void,
    ) => void,
    /** Series that exist from the start, at 0 until counted. */
    zeroSeries: readonly Partial<Record<L, string>>[] = [],
  ): void {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const labels of zeroSeries) this.inc(labels, 0);
        const s = stats();
        if (s === null) return;
        read(s, (labels, value) => this.inc(labels, value));
      },
    });
  }

  mirrorCounter(
    'cmb_frames_total',
    'Frames passed on, by direction (to_multicast: read from CAN and sent to the group; to_can: received from the group and written to CAN).',
    ['direction'],
    (s, set) => {
      for (const [key, direction] of DIRECTIONS) set({ direction }, s[key].frames);
    },
  );
  mirrorCounter(
    'cmb_bytes_total',
    'Payload bytes of the frames passed on, by direction.',
    ['direction'],
    (s, set) => {
      for (const [key, direction] of DIRECTIONS) set({ direction }, s[key].bytes);
    },
  );
  mirrorCounter(
    'cmb_dropped_total',
    'Frames or datagrams not passed on, by direction and reason (to_can includes the datagrams the multicast bus dropped: decode failures and own_echo, our own datagrams looped back).',
    ['direction', 'reason'],
    (s, set) => {
      for (const [key, direction] of DIRECTIONS) {
        for (const [reason, n] of Object.entries(s[key].dropped)) set({ direction, reason }, n);
      }
      for (const [reason, n] of Object.entries(s.multicast.dropped)) {
        // A relay reason of the same name (e.g. 'invalid') adds up in one series. Only
        // 'send_queue_full' and 'no_destination' are frames on their way out.
        const direction = MULTICAST_BUS_OUTGOING.has(reason) ? 'to_multicast' : 'to_can';
        set({ direction, reason }, n);
      }
    },
    Object.entries(DROP_REASONS).flatMap(([direction, reasons]) =>
      reasons.map((reason) => ({ direction, reason })),
    ),
  );
  mirrorCounter(
    'cmb_can_kernel_drops_total',
    "Frames the kernel dropped from the CAN socket's receive queue (SO_RXQ_OVFL).",
    [],
    (s, set) => set({}, s.can.rxKernelDrops),
  );
  mirrorCounter(
    'cmb_can_rx_errors_total',
    'Receive errors of the CAN socket (other than the interface going down or away).',
    [],
    (s, set) => set({}, s.can.rxErrors),
  );
  mirrorCounter(
    'cmb_can_reopens_total',
    'CAN socket reopens after the interface came back.',
    [],
    (s, set) => set({}, s.can.reopens),
  );
  mirrorCounter(
    'cmb_multicast_datagrams_total',
    'Datagrams read from the multicast group, valid or not.',
    [],
    (s, set) => set({}, s.multicast.datagrams),
  );
  mirrorCounter(
    'cmb_multicast_send_errors_total',
    'Datagram sends that failed (the frame is lost).',
    [],
    (s, set) => set({}, s.multicast.sendErrors),
  );
  mirrorCounter(
    'cmb_multicast_receive_errors_total',
    'Errors reported by the multicast receive socket.',
    [],
    (s, set) => set({}, s.multicast.receiveErrors),
  );
  mirrorCounter(
    'cmb_multicast_kernel_drops_total',
    "Datagrams the kernel dropped from the multicast socket's full receive buffer (SO_RXQ_OVFL).",
    [],
    (s, set) => set({}, s.multicast.kernelDrops),
  );
  mirrorCounter(
    'cmb_multicast_rejoins_total',
    'Times the group was joined again after the network interface came back or changed.',
    [],
    (s, set) => set({}, s.multicast.rejoins),
  );

  // Per unicast peer (multicast.peers), labelled with the peer as configured.
  const perPeer = (name: string, help: string, key: 'sent' | 'sendErrors' | 'received'): void =>
    mirrorCounter(name, help, ['peer'], (s, set) => {
      for (const p of s.multicast.peers) set({ peer: p.peer }, p[key]);
    });
  perPeer('cmb_peer_datagrams_sent_total', 'Datagrams sent by unicast to each peer.', 'sent');
  perPeer(
    'cmb_peer_send_errors_total',
    'Unicast sends to each peer that failed (the frame is lost for that peer).',
    'sendErrors',
  );
  perPeer(
    'cmb_peer_datagrams_received_total',
    "Unicast datagrams received from each peer's addresses (before decoding).",
    'received',
  );
  new Gauge({
    name: 'cmb_peer_last_seen_timestamp_seconds',
    help: 'When a unicast datagram last came from each peer, seconds since the epoch; absent before the first.',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s === null) return;
      for (const p of s.multicast.peers)
        if (p.lastSeen !== null) this.set({ peer: p.peer }, p.lastSeen);
    },
  });

  new Gauge({
    name: 'cmb_tx_queue_frames',
    help: 'Frames waiting in the CAN TX queue.',
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s !== null) this.set(s.can.txQueued);
    },
  });
  if (options.txQueueCapacity !== undefined) {
    new Gauge({
      name: 'cmb_tx_queue_capacity_frames',
      help: 'Capacity of the CAN TX queue in frames (txQueue.size).',
      registers,
    }).set(options.txQueueCapacity);
  }
  new Gauge({
    name: 'cmb_last_frame_age_seconds',
    help: 'Seconds since a frame was last passed on, by direction; absent before the first.',
    labelNames: ['direction'],
    registers,
    collect() {
      this.reset();
      const s = stats();
      if (s === null) return;
      for (const [key, direction] of DIRECTIONS) {
        const ageMs = s.lastFrameAgeMs[key];
        if (ageMs !== null) this.set({ direction }, ageMs / 1000);
      }
    },
  });
  new Gauge({
    name: 'cmb_can_state',
    help: 'The CAN interface state: 1 for the current state, 0 for the others.',
    labelNames: ['interface', 'state'],
    registers,
    collect() {
      this.reset();
      const { can } = source.health();
      for (const state of CAN_STATES) {
        this.set({ interface: can.interface, state }, state === can.state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'cmb_can_bus_state',
    help: "The CAN controller's error state from error frames: 1 for the current state, 0 for the others.",
    labelNames: ['interface', 'state'],
    registers,
    collect() {
      this.reset();
      const { can } = source.health();
      if (can.busState === null) return;
      for (const state of BUS_STATES) {
        this.set({ interface: can.interface, state }, state === can.busState ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'cmb_multicast_state',
    help: 'The multicast bus state: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
    collect() {
      const { multicast } = source.health();
      for (const state of MULTICAST_STATES) this.set({ state }, state === multicast.state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cmb_healthy',
    help: '1 when both sides are open (what /healthz answers 200 to), else 0.',
    registers,
    collect() {
      this.set(assessHealth(source.health()).status === 'ok' ? 1 : 0);
    },
  });

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
