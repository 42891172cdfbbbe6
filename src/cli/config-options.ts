/** Command-line options that override configuration keys (`run`, `check-config`). */
import { KEY_OF_MULTICAST_OPTION, MULTICAST_KEY_OPTIONS } from './multicast-options.js';
import { UsageError } from './usage-error.js';

/** Options shared by `run` and `check-config`, each naming the config key it sets. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  can: { type: 'string' },
  ...MULTICAST_KEY_OPTIONS,
  'sender-id': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const KEY_OF_OPTION: Record<string, string> = {
  can: 'can.interface',
  ...KEY_OF_MULTICAST_OPTION,
  'sender-id': 'sender.id',
  'log-level': 'log.level',
};

export const CONFIG_OPTIONS_HELP = `Configuration (later wins: defaults, the file, CMB_* environment variables, options):
  -c, --config FILE      JSON config file (keys: config/README.md; example: config/example.json)
      --set KEY=VALUE    set any config key, e.g. --set txQueue.size=2000 (repeatable)
      --can IFACE        can.interface, the CAN interface (default can0; e.g. vcan0)
  -g, --group ADDR       multicast.group
  -p, --port N           multicast.port
  -i, --interface NAME   multicast.interface (network interface)
      --hop-limit N      multicast.hopLimit
      --peer HOST[:PORT] multicast.peers: a unicast peer (repeatable; replaces the file's list)
      --sender-id ID     sender.id
      --log-level LEVEL  log.level (fatal, error, warn, info, debug, trace, silent)
  -h, --help             show this help`;

interface ConfigValues {
  set?: string[];
  [option: string]: unknown;
}

/** The config key overrides the options ask for, as `loadConfig` takes them. */
export function configOverrides(values: ConfigValues): Record<string, string | string[]> {
  const overrides: Record<string, string | string[]> = {};
  for (const text of values.set ?? []) {
    const eq = text.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--set takes KEY=VALUE, e.g. --set can.interface=vcan0; got "${text}"`);
    overrides[text.slice(0, eq)] = text.slice(eq + 1);
  }
  for (const [option, key] of Object.entries(KEY_OF_OPTION)) {
    const value = values[option];
    if (typeof value === 'string') overrides[key] = value;
    // A repeatable option (--peer): the list as given, each item checked by the key's format.
    else if (Array.isArray(value)) overrides[key] = value.map(String);
  }
  return overrides;
}
