/**
 * Loads the configuration: schema defaults, then one JSON file, then `CMB_*` environment
 * variables, then command-line overrides (later wins). Everything wrong is collected and thrown as
 * one `ConfigError` (code 'ERR_CONFIG', exit code 78 in the CLI) naming each key, its value, where
 * the value came from, and what is expected.
 */
import convict from 'convict';
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { BridgeError } from '../errors.js';
import type { BridgeConfig, DirectionConfig } from './bridge-config.js';
import { parseCanFilters } from '../can/can-filter.js';
import { parseCidr } from '../net/cidr.js';
import { explainInvalid, FORMATS, registerConvictFormats } from './formats.js';
import { findJsonSyntaxError } from './json-syntax-error.js';
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

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function suggestion(name: string, candidates: readonly string[]): string {
  const best = closest(name, candidates);
  return best === undefined ? '' : `; did you mean ${best}?`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Why JSON.parse refused `text`, on one line with the place. V8's own message has no position for
 * an unexpected token and quotes the text around it, line breaks included.
 */
function jsonProblem(text: string, err: unknown): string {
  if (/^[ \t\n\r]*$/.test(text)) return 'the file is empty ({} means all defaults)';
  const e = findJsonSyntaxError(text);
  // Not expected: the scanner follows RFC 8259 as JSON.parse does.
  if (e === null) return oneLine(err instanceof Error ? err.message : String(err));
  const hint = e.hint === undefined ? '' : `: ${e.hint}`;
  return `expected ${e.expected} but found ${e.found} (line ${e.line} column ${e.column})${hint}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * EACCES with what to do about it: the systemd unit runs as a DynamicUser= that owns no file, so a
 * config installed 0600 (or 0640 root:root) is unreadable to it (issue 11, seen under systemd 252).
 */
function unreadableHint(name: string): string {
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `uid ${uid}`;
  return (
    `permission denied for ${who}: make it readable by the daemon's user, ` +
    `e.g. chmod 0644 ${name}, or give it a group (chmod 0640) named in the unit's ` +
    `SupplementaryGroups= (systemd's DynamicUser= owns no file)`
  );
}

function readConfigFile(file: string): Record<string, unknown> {
  const name = showName(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? unreadableHint(name)
          : code === 'EISDIR'
            ? 'it is a directory'
            : oneLine((err as Error).message);
    throw new ConfigError(`cannot read config file ${name}: ${why}`, [], { cause: err });
  }
  const bom = bytes.subarray(0, 2).toString('hex');
  if (bom === 'fffe' || bom === 'feff') {
    throw new ConfigError(
      `config file ${name} is not valid JSON: it is UTF-16 (byte order mark ${bom.toUpperCase()}); save it as UTF-8`,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    // Node would replace bad bytes with U+FFFD silently, and a mangled sender id or filter would
    // then be accepted: refuse, naming where (the first byte the lenient decode does not keep).
    const kept = Buffer.from(bytes.toString('utf8'), 'utf8');
    let at = 0;
    while (at < bytes.length && bytes[at] === kept[at]) at++;
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new ConfigError(
      `config file ${name} is not valid UTF-8 (byte ${at}, line ${line}); save it as UTF-8`,
    );
  }
  // A UTF-8 byte order mark (Windows editors write one): RFC 8259 section 8.1 lets parsers ignore
  // it; JSON.parse does not.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${name} is not valid JSON: ${jsonProblem(text, err)}`, [], {
      cause: err,
    });
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError(
      `config file ${name} must hold a JSON object with config keys, not ${typeName(parsed)}`,
    );
  }
  return parsed;
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
    walk(readConfigFile(file), '');
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

  registerConvictFormats();
  const config = convict<RawConfig>(configSchema(), { env: {}, args: [] });
  for (const [key, setting] of settings) config.set(key, setting.value);
  try {
    // The checks above already passed; this is convict's own strict pass, as a backstop.
    config.validate({ allowed: 'strict' });
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${oneLine((err as Error).message)}`, [], {
      cause: err,
    });
  }
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
    multicast: { ...raw.multicast, allowSources: raw.multicast.allowSources.map(parseCidr) },
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
