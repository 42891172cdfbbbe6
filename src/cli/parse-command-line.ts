/** Command-line parsing shared by the commands: node:util parseArgs, errors as one-line UsageErrors. */
import type { ParseArgsConfig } from 'node:util';
import { errorCode } from '../errors.js';
import {
  DEFAULT_GROUP_IPV4,
  DEFAULT_GROUP_IPV6,
  DEFAULT_HOP_LIMIT,
  DEFAULT_PORT,
} from '../multicast/defaults.js';
import type { MulticastBusOptions } from '../multicast/multicast-bus-types.js';
import { MULTICAST_KEY_OPTIONS, multicastOptionValue } from './multicast-options.js';
import { describeOptionProblem, joinNegativeValues } from './option-problems.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What every command passes to parseArgs besides its args and options. */
export const STRICT = { allowPositionals: true, strict: true } as const;

/** The options every multicast command takes. */
export const MULTICAST_OPTIONS = {
  ...MULTICAST_KEY_OPTIONS,
  ipv4: { type: 'boolean', short: '4' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Help text for MULTICAST_OPTIONS, shared by every command's --help. */
export const MULTICAST_OPTIONS_HELP = `Multicast options:
  -g, --group ADDR       multicast group, IPv4 or IPv6, or "none" (peers only)
                         (default ${DEFAULT_GROUP_IPV6}, python-can's default)
  -4, --ipv4             use python-can's IPv4 group ${DEFAULT_GROUP_IPV4}
  -p, --port N           UDP port (default ${DEFAULT_PORT})
  -i, --interface NAME   network interface to send on (dump: also to join on)
                         (default: the kernel's choice)
      --hop-limit N      IPv4 TTL / IPv6 hop limit, 0..255 (default ${DEFAULT_HOP_LIMIT}: this link only)
      --peer HOST[:PORT] unicast peer where multicast does not reach (repeatable): sent to
                         as well as the group, and unicast is accepted from peers only;
                         HOST is an IPv4 address, [IPv6] or a DNS name (port: --port)
  -h, --help             show this help`;

/**
 * Runs a strict `parseArgs` on `args` (called by the command, so its types stay precise), after
 * joining negative numbers to their option (`--timeout -1` → `--timeout=-1`, so the value's own
 * check answers); its errors become one-line UsageErrors in our words naming the option.
 */
export function parseCommandLine<T>(
  command: string,
  args: readonly string[],
  options: Options,
  parse: (args: string[]) => T,
): T {
  const joined = joinNegativeValues(args, options);
  try {
    return parse(joined);
  } catch (err) {
    const code = errorCode(err);
    if (code !== undefined && code.startsWith('ERR_PARSE_ARGS')) {
      const ours = describeOptionProblem(command, joined, options);
      const theirs = ((err as Error).message.split('\n')[0] ?? '').trim();
      throw new UsageError(ours ?? `${theirs} (see 'can-multicast-bridge ${command} --help')`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** An integer option within [min, max], or the default when absent. */
export function intOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** A non-negative number option (seconds), or undefined when absent. */
export function secondsOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a number of seconds >= 0, got "${value}"`);
  }
  return n;
}

interface MulticastValues {
  group?: string;
  ipv4?: boolean;
  port?: string;
  interface?: string;
  'hop-limit'?: string;
  peer?: string[];
}

/** MulticastBus options from the shared command-line options. */
export function multicastBusOptions(values: MulticastValues): MulticastBusOptions {
  if (values.group !== undefined && values.ipv4 === true) {
    throw new UsageError('--group and --ipv4 exclude each other');
  }
  // Checked as `run` checks them (as the config keys they stand for); the format guarantees the type.
  const group = multicastOptionValue('group', values.group) as string | undefined;
  const port = multicastOptionValue('port', values.port) as number | undefined;
  const iface = multicastOptionValue('interface', values.interface) as string | undefined;
  const hopLimit = multicastOptionValue('hop-limit', values['hop-limit']) as number | undefined;
  const peers = multicastOptionValue('peer', values.peer) as string[] | undefined;
  return {
    group: group ?? (values.ipv4 === true ? DEFAULT_GROUP_IPV4 : DEFAULT_GROUP_IPV6),
    port: port ?? DEFAULT_PORT,
    interface: iface ?? null,
    hopLimit: hopLimit ?? DEFAULT_HOP_LIMIT,
    ...(peers === undefined ? {} : { peers }),
  };
}
