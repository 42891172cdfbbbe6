/**
 * How a `MulticastBus` wires its group sockets (multicast-sockets.ts): the options' defaults, the
 * collaborators' defaults, and the bus's counters and warnings for the receive path.
 */
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { readSysfsLink } from '../net/interface-reader.js';
import type { Timers } from '../net/timers.js';
import { DEFAULT_INTERFACE_CHECK_INTERVAL_MS } from './bus-options.js';
import {
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
  DEFAULT_RECEIVE_BUFFER_BYTES,
} from './defaults.js';
import type {
  MulticastBusDeps,
  MulticastBusOptions,
  MulticastBusStats,
} from './multicast-bus-types.js';
import { MulticastSockets } from './multicast-sockets.js';
import { attachNativeEchoFilter, forceNativeReceiveBuffer } from './native-socket-options.js';
import { createNativeUdpSocket } from './native-udp-socket.js';
import type { SendTarget } from './send-queue.js';
import type { DatagramSink } from './udp-socket.js';

/** What the bus lends its group sockets. */
export interface BusSocketHooks {
  timers: Timers;
  log: Logger;
  warn: (key: string, fields: Record<string, unknown>, msg: string) => void;
  sink: DatagramSink;
  /** The bus's counters, updated in place. */
  stats: MulticastBusStats;
  isOpen(): boolean;
  onSendTarget(target: SendTarget | null): void;
}

export function createBusSockets(
  options: MulticastBusOptions,
  deps: MulticastBusDeps,
  bus: BusSocketHooks,
): MulticastSockets {
  return new MulticastSockets(
    {
      group: options.group ?? DEFAULT_GROUP_IPV6,
      port: options.port ?? DEFAULT_PORT,
      interface: options.interface ?? null,
      hopLimit: options.hopLimit ?? DEFAULT_HOP_LIMIT,
      loopback: options.loopback ?? true,
      receiveBufferRequestedBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      bindGroup: options.bindGroup ?? process.platform === 'linux',
      checkIntervalMs: options.interfaceCheckIntervalMs ?? DEFAULT_INTERFACE_CHECK_INTERVAL_MS,
    },
    {
      factory: deps.socketFactory ?? createNativeUdpSocket,
      networkInterfaces: deps.networkInterfaces ?? osNetworkInterfaces,
      readLink: deps.readLink ?? readSysfsLink,
      timers: bus.timers,
      attachEchoFilter:
        deps.attachEchoFilter === undefined ? attachNativeEchoFilter : deps.attachEchoFilter,
      forceReceiveBuffer:
        deps.forceReceiveBuffer === undefined ? forceNativeReceiveBuffer : deps.forceReceiveBuffer,
      log: bus.log,
      warn: bus.warn,
      sink: bus.sink,
      onReceiveError: (err) => {
        if (!bus.isOpen()) return;
        bus.stats.receiveErrors++;
        bus.warn('receive', { err }, 'multicast receive socket error');
      },
      onSendTarget: (target) => bus.onSendTarget(target),
    },
  );
}
