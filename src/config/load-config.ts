/**
 * Loads the configuration: schema defaults, then one JSON file, then `CMB_*` environment
 * variables, then command-line overrides (later wins). Everything wrong is collected and thrown as
 * one `ConfigError` (code 'ERR_CONFIG', exit code 78 in the CLI) naming each key, its value, where
 * the value came from, and what is expected.
 */
import convict from 'convict';
import { hostname as osHostname } from 'node:os';
import { BridgeError } from '../errors.js';
import type { BridgeConfig, DirectionConfig } from './bridge-config.js';
import { parseCanFilters } from '../can/can-filter.js';
import { parseCidr } from '../net/cidr.js';
import { explainInvalid, FORMATS, registerConvictFormats } from './formats.js';
import { closest, suggestion } from './closest-name.js';
import { isPlainObject, readConfigFile } from './read-config-file.js';
import { oneLine, showName } from './one-line.js';
import type { ConfigKey, RawConfig, RawDirection } from './schema.js';
import { configGroups, configKeys, configSchema, ENV_PREFIX } from './schema.js';
import { deriveSenderId } from './sender-id.js';

/** The error code of every configuration error. */
export const ERR_CONFIG = 'ERR_CONFIG';

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** The key path. */
  readonly key: string;
  readonly value: unknown;
  /** Where the value came from, e.g. "file /etc/x.json", "environment variable CMB_X", "command line". */
  readonly source: string;
  /** What is expected instead, starting with "expected" or saying why the key is unknown. */
  readonly expected: string;
}

/**
 * A configuration that cannot be used; `problems` lists each fault (empty for file errors). The
 * message has one line per problem: user text in it (keys, values, file names) is escaped.
 */
export class ConfigError extends BridgeError {
  constructor(
    message: string,
    readonly problems: readonly ConfigProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(ERR_CONFIG, message, options);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** A JSON config file; without one, the defaults are the base. */
  file?: string;
  /** Environment variables; only the schema's `CMB_*` names are read. Default: `process.env` at call time. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Key paths to values from the command line, e.g. `{ 'can.interface': 'vcan0' }`. Strings are
   * read like environment variables (so "43113", "true", "a,b" work); undefined values are skipped.
   */
  overrides?: Readonly<Record<string, unknown>>;
  /** The host name for the derived sender id. Default: `os.hostname()` at call time. */
  hostname?: string;
}

interface Setting {
  value: unknown;
  source: string;
  /** The text as given, for values converted from a string. */
  text?: string;
}

const MAX_SHOWN = 120;

function show(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : oneLine(JSON.stringify(value));
  } catch {
    // JSON.stringify recurses: a value nested thousands deep (JSON.parse takes it) overflows the stack.
    return '(a value nested too deep to show)';
  }
  if (text.length <= MAX_SHOWN) return text;
  const cut = text.slice(0, MAX_SHOWN - 3);
  // Never end on the first half of a surrogate pair.
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}...`;
}

/** One line: keys from the file or command line may hold anything, "\n" included. */
function describeProblem(p: ConfigProblem): string {
  return oneLine(`${showName(p.key)} = ${show(p.value)} (from ${p.source}): ${p.expected}`);
}

/**
 * Loads, merges and validates the configuration. Throws `ConfigError` (code 'ERR_CONFIG') with one
 * message covering every problem; never reads `process.env` unless `env` is omitted.
 */
export function loadConfig(options: LoadConfigOptions = {}): BridgeConfig {
  const keys = configKeys();
  const byKey = new Map(keys.map((k) => [k.key, k]));
  const byEnv = new Map(keys.map((k) => [k.env, k]));
  const groups = new Set(configGroups());
  const settings = new Map<string, Setting>();
  const problems: ConfigProblem[] = [];

  const childrenOf = (group: string): string[] => {
    const prefix = group === '' ? '' : `${group}.`;
    const names = [...byKey.keys(), ...groups]
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length))
      .filter((rest) => rest !== '' && !rest.includes('.'));
    return [...new Set(names)];
  };
  const unknownKey = (key: string, value: unknown, source: string): void => {
    // The nearest known group above the key, e.g. "multicast" for "multicast.grup", "" for "x.y".
    let group = key;
    do group = group.includes('.') ? group.slice(0, group.lastIndexOf('.')) : '';
    while (group !== '' && !groups.has(group));
    const where = group === '' ? 'the top-level keys' : `the keys of ${group}`;
    const expected = `unknown key; expected one of ${where}: ${childrenOf(group).join(', ')}`;
    problems.push({
      key,
      value,
      source,
      expected: expected + suggestion(key, [...byKey.keys(), ...groups]),
    });
  };
  const fromString = (spec: ConfigKey, text: string, source: string): Setting => ({
    value: FORMATS[spec.format].fromString(text),
    source,
    text,
  });

  if (options.file !== undefined) {
    const file = options.file;
    const source = `file ${showName(file)}`;
    const walk = (obj: Record<string, unknown>, prefix: string): void => {
      for (const [name, value] of Object.entries(obj)) {
        const key = prefix === '' ? name : `${prefix}.${name}`;
        if (name.includes('.')) {
          const [head = '', ...rest] = name.split('.');
          problems.push({
            key,
            value,
            source,
            expected: `a key with a dot; nest it instead, e.g. {${JSON.stringify(head)}: {${JSON.stringify(rest.join('.'))}: ...}}`,
          });
        } else if (byKey.has(key)) {
          settings.set(key, { value, source });
        } else if (groups.has(key)) {
          if (isPlainObject(value)) walk(value, key);
          else {
            problems.push({
              key,
              value,
              source,
              expected: `expected an object with the keys ${childrenOf(key).join(', ')}`,
            });
          }
        } else {
          unknownKey(key, value, source);
        }
      }
    };
    const read = readConfigFile(file);
    if (!read.ok) {
      throw new ConfigError(
        read.message,
        [],
        read.cause === undefined ? undefined : { cause: read.cause },
      );
    }
    walk(read.value, '');
  }

  // Other CMB_ variables are not errors (a daemon may inherit a stray one); `unknownEnvVariables`
  // lists them for a warning. The test harness keeps its own out of CMB_* (CMBTEST_IN_VM).
  for (const [name, text] of Object.entries(options.env ?? process.env)) {
    const spec = byEnv.get(name);
    if (spec && text !== undefined) {
      settings.set(spec.key, fromString(spec, text, `environment variable ${name}`));
    }
  }

  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    const source = 'command line';
    const spec = byKey.get(key);
    if (groups.has(key)) {
      problems.push({
        key,
        value,
        source,
        expected: `expected the path of one key, e.g. ${childrenOf(key).map((c) => `${key}.${c}`)[0]}`,
      });
    } else if (!spec) unknownKey(key, value, source);
    else if (typeof value === 'string') settings.set(key, fromString(spec, value, source));
    else settings.set(key, { value, source });
  }

  for (const spec of keys) {
    const setting = settings.get(spec.key);
    if (!setting) continue;
    const expected = explainInvalid(spec.format, setting.value, spec);
    if (expected !== undefined) {
      problems.push({
        key: spec.key,
        value: setting.text ?? setting.value,
        source: setting.source,
        expected,
      });
    }
  }

  if (problems.length > 0) {
    const message =
      problems.length === 1
        ? `invalid configuration: ${describeProblem(problems[0] as ConfigProblem)}`
        : `invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${describeProblem(p)}`).join('\n')}`;
    throw new ConfigError(message, problems);
  }

  // Every value was checked above against its key's cmb-* format (formats.ts); convict adds the
  // defaults of the keys not set. Its own validate() would run the same formats again.
  registerConvictFormats();
  const config = convict<RawConfig>(configSchema(), { env: {}, args: [] });
  for (const [key, setting] of settings) config.set(key, setting.value);
  return resolveConfig(config.getProperties(), options.hostname ?? osHostname());
}

function deepFreeze<T>(value: T): T {
  // Typed arrays (a Cidr's bytes) cannot be frozen.
  if (
    typeof value === 'object' &&
    value !== null &&
    !ArrayBuffer.isView(value) &&
    !Object.isFrozen(value)
  ) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function resolveDirection(raw: RawDirection): DirectionConfig {
  return {
    enabled: raw.enabled,
    filters: parseCanFilters(raw.filters),
    errorFrames: raw.errorFrames,
  };
}

/** Parses filters and networks and resolves the sender id of a validated raw config. */
function resolveConfig(raw: RawConfig, hostname: string): BridgeConfig {
  return deepFreeze({
    can: { ...raw.can },
    multicast: {
      ...raw.multicast,
      allowSources: raw.multicast.allowSources.map(parseCidr),
      peers: raw.multicast.peers.map((p) => p.trim()),
    },
    sender: {
      id: raw.sender.id === '' ? deriveSenderId(hostname, raw.can.interface) : raw.sender.id,
      ignore: [...raw.sender.ignore],
    },
    toMulticast: resolveDirection(raw.toMulticast),
    toCan: resolveDirection(raw.toCan),
    txQueue: { ...raw.txQueue },
    log: { ...raw.log },
    stats: { ...raw.stats },
    metrics: { ...raw.metrics },
  });
}

/** A `CMB_*` environment variable that no key reads (ignored by `loadConfig`; worth a warning). */
export interface UnknownEnvVariable {
  readonly name: string;
  /** The known variable it most resembles, when one is close (a likely typo). */
  readonly didYouMean?: string;
}

/** The `CMB_*` variables in `env` that no config key reads, with the likely intended name. */
export function unknownEnvVariables(
  env: Readonly<Record<string, string | undefined>>,
): UnknownEnvVariable[] {
  const known = configKeys().map((k) => k.env);
  return Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !known.includes(name))
    .map((name) => {
      const didYouMean = closest(name, known);
      return didYouMean === undefined ? { name } : { name, didYouMean };
    });
}
