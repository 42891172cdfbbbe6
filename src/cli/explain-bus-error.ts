/**
 * The multicast bus's start-up errors as `dump` and `send` users need them: what failed in their
 * terms, and what to do about it. Codes (and so exit codes) stay the bus's.
 */
import { BridgeError, errorCode } from '../errors.js';
import type { MulticastBus } from '../multicast/multicast-bus.js';
import type { MulticastBusOptions } from '../multicast/multicast-bus-types.js';
import { MulticastError } from '../multicast/multicast-error.js';

/** The system errors that mean "no route / no interface for this group" (linux ip6_mc_find_dev). */
const NO_ROUTE = new Set(['ENODEV', 'ENETUNREACH', 'EADDRNOTAVAIL']);

interface BusWhere {
  group: string;
  port: number;
  interface: string | null;
}

function hint(where: BusWhere): string {
  if (where.group.includes(':')) {
    return where.interface === null
      ? "no interface carries IPv6 multicast by default on this host: use -4 (python-can's IPv4 group), --interface NAME, or add an IPv6 multicast route (ip -6 route add multicast ff00::/8 dev NAME table local)"
      : `${where.interface} does not carry IPv6 multicast: use -4, or another --interface (one with multicast on: ip -br link show)`;
  }
  return where.interface === null
    ? 'no interface carries IPv4 multicast by default on this host: use --interface NAME, or add a multicast route (ip route add 224.0.0.0/4 dev NAME)'
    : `${where.interface} does not carry IPv4 multicast: use another --interface (one with multicast on: ip -br link show)`;
}

/**
 * Rewrites an error of `MulticastBus.start()` (or of a first send) for `command`: a missing
 * multicast route gets its fix; `send`, which only sends, does not say "cannot join".
 */
export function explainBusError(
  err: unknown,
  command: 'dump' | 'send',
  options: MulticastBusOptions,
): unknown {
  if (!(err instanceof MulticastError)) return err;
  const where: BusWhere = {
    group: options.group ?? '',
    port: options.port ?? 0,
    interface: options.interface ?? null,
  };
  const code = errorCode(err);
  if (code !== 'ERR_MULTICAST_JOIN' && code !== 'ERR_MULTICAST_SEND') return err;
  const sys = err.sysCode ?? 'unknown error';
  const on = where.interface === null ? '' : ` on ${where.interface}`;
  const what =
    command === 'send'
      ? `cannot send to ${where.group} port ${where.port}${on}`
      : `cannot listen to ${where.group} port ${where.port}${on} (joining the group failed)`;
  const why = NO_ROUTE.has(sys) ? `${sys}: ${hint(where)}` : sys;
  return new BridgeError(code, `${what}: ${why}`, { cause: err });
}

/** `bus.start()`, its errors explained for `command` (see `explainBusError`). */
export async function startBus(
  bus: MulticastBus,
  command: 'dump' | 'send',
  options: MulticastBusOptions,
): Promise<void> {
  try {
    await bus.start();
  } catch (err) {
    throw explainBusError(err, command, options);
  }
}
