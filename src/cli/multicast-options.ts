/**
 * The multicast options every command takes (-g, -p, -i, --hop-limit, --peer), each standing for a config
 * key: `run` and `check-config` hand them to `loadConfig` as overrides, `dump` and `send` check them
 * here against the same key's format and limits (config/schema.ts), so a value is valid for all
 * commands or for none.
 */
import type { ParseArgsConfig } from 'node:util';
import type { FormatSpec } from '../config/formats.js';
import { FORMATS } from '../config/formats.js';
import { configKeys } from '../config/schema.js';
import { BridgeError } from '../errors.js';
import { UsageError } from './usage-error.js';

/** The parseArgs entries of the multicast options. */
export const MULTICAST_KEY_OPTIONS = {
  group: { type: 'string', short: 'g' },
  port: { type: 'string', short: 'p' },
  interface: { type: 'string', short: 'i' },
  'hop-limit': { type: 'string' },
  peer: { type: 'string', multiple: true },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type MulticastKeyOption = keyof typeof MULTICAST_KEY_OPTIONS;

/** The config key each multicast option sets. */
export const KEY_OF_MULTICAST_OPTION = {
  group: 'multicast.group',
  port: 'multicast.port',
  interface: 'multicast.interface',
  'hop-limit': 'multicast.hopLimit',
  peer: 'multicast.peers',
} as const satisfies Record<MulticastKeyOption, string>;

/**
 * The value of `--option text`, read and checked as its config key's value would be; undefined
 * when the option is absent. A repeatable option (`--peer`) gives a list, each item one value.
 * Throws a UsageError naming the option and what it takes.
 */
export function multicastOptionValue(
  option: MulticastKeyOption,
  text: string | readonly string[] | undefined,
): unknown {
  if (text === undefined) return undefined;
  const spec = configKeys().find((k) => k.key === KEY_OF_MULTICAST_OPTION[option]);
  if (spec === undefined) {
    throw new BridgeError('ERR_SCHEMA', `no config key ${KEY_OF_MULTICAST_OPTION[option]}`);
  }
  const format: FormatSpec = FORMATS[spec.format];
  const value = typeof text === 'string' ? format.fromString(text) : [...text];
  const why = format.check(value, spec);
  if (why === undefined) return value;
  const reason = why === '' ? '' : ` (${why})`;
  const got = typeof text === 'string' ? text : text.join('", "');
  throw new UsageError(`--${option} must be ${format.describe(spec)}${reason}, got "${got}"`);
}
