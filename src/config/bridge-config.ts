/**
 * The effective configuration the daemon runs with: the schema's keys with filters and networks
 * parsed and the sender id resolved. Produced by `loadConfig`, printed by `formatConfig`.
 */
import type { CanIdFilter } from '../can/can-filter.js';
import type { Cidr } from '../net/cidr.js';
import type { LogLevel } from './formats.js';
import type { RawConfig } from './schema.js';

export interface DirectionConfig {
  readonly enabled: boolean;
  /** Empty: every frame passes. */
  readonly filters: readonly CanIdFilter[];
  readonly errorFrames: boolean;
}

export interface BridgeConfig {
  readonly can: {
    readonly interface: string;
    readonly fd: boolean;
    /** 0: the kernel default. */
    readonly receiveBufferBytes: number;
  };
  readonly multicast: {
    readonly group: string;
    readonly port: number;
    /** '': the kernel chooses. */
    readonly interface: string;
    readonly hopLimit: number;
    /** IP_MULTICAST_LOOP on the send socket. */
    readonly loopback: boolean;
    /** 0: the kernel default. */
    readonly receiveBufferBytes: number;
    /** Empty: every source is accepted. */
    readonly allowSources: readonly Cidr[];
    /** 0: no periodic check of the network interface. */
    readonly interfaceCheckMs: number;
    /** Unicast peers, HOST[:PORT] as written (src/multicast/peer-address.ts). */
    readonly peers: readonly string[];
    readonly peerResolveMs: number;
  };
  readonly sender: {
    /** The effective id: as configured, or derived from host name and CAN interface. */
    readonly id: string;
    readonly ignore: readonly string[];
  };
  readonly toMulticast: DirectionConfig;
  readonly toCan: DirectionConfig;
  readonly txQueue: {
    readonly size: number;
    /** 0: frames never become stale. */
    readonly staleMs: number;
  };
  readonly log: { readonly level: LogLevel };
  /** 0: statistics only at exit. */
  readonly stats: { readonly intervalMs: number };
  readonly metrics: { readonly enabled: boolean; readonly host: string; readonly port: number };
}

/** The config back in file form: a valid config file that loads to the same `BridgeConfig`. */
export function toRawConfig(cfg: BridgeConfig): RawConfig {
  const direction = (d: DirectionConfig): RawConfig['toCan'] => ({
    enabled: d.enabled,
    filters: d.filters.map((f) => f.text),
    errorFrames: d.errorFrames,
  });
  return {
    can: { ...cfg.can },
    multicast: {
      ...cfg.multicast,
      allowSources: cfg.multicast.allowSources.map((c) => c.text),
      peers: [...cfg.multicast.peers],
    },
    sender: { id: cfg.sender.id, ignore: [...cfg.sender.ignore] },
    toMulticast: direction(cfg.toMulticast),
    toCan: direction(cfg.toCan),
    txQueue: { ...cfg.txQueue },
    log: { ...cfg.log },
    stats: { ...cfg.stats },
    metrics: { ...cfg.metrics },
  };
}

/** The effective config as pretty JSON (what `check-config` prints), ending in a newline. */
export function formatConfig(cfg: BridgeConfig): string {
  return `${JSON.stringify(toRawConfig(cfg), null, 2)}\n`;
}
