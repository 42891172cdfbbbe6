/**
 * The value formats of the configuration keys: what each accepts (in words, for messages and the
 * docs), the check, and the conversion from the strings of environment variables and the command
 * line. Registered with convict under `cmb-*` names without a coerce function, so convict never
 * turns a wrong JSON type into a right one behind our back.
 */
import { BridgeError } from '../errors.js';
import convict from 'convict';
import { isIPv4, isIPv6 } from 'node:net';
import { CAN_FILTER_SYNTAX, CanFilterSyntaxError, parseCanFilter } from '../can/can-filter.js';
import { CAN_RAW_FILTER_MAX } from '../can/linux-can.js';
import { CidrSyntaxError, parseCidr } from '../net/cidr.js';
import { INTERFACE_NAME_TEXT, interfaceNameProblem } from '../net/interface-name.js';
import { PEER_SYNTAX, parsePeer, PeerSyntaxError } from '../multicast/peer-address.js';
import { SENDER_ID_MAX_LENGTH } from './sender-id.js';

/** The limits a schema item may carry next to its format. */
export interface FormatLimits {
  /** Smallest allowed integer (cmb-integer). */
  min?: number;
  /** Largest allowed integer (cmb-integer). */
  max?: number;
  /** Whether "" is allowed (cmb-interface). */
  allowEmpty?: boolean;
}

export interface FormatSpec {
  /** What a valid value looks like, completing "expected ...". */
  describe(limits: FormatLimits): string;
  /** Undefined when `value` is valid; otherwise why not ('' when `describe` says it all). */
  check(value: unknown, limits: FormatLimits): string | undefined;
  /** The value an environment variable or command-line string stands for; the string itself when none. */
  fromString(text: string): unknown;
}

/** pino's level names (pino `levels.labels`, plus "silent"). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const identity = (text: string): unknown => text;

/** Comma-separated lists; blanks around items are dropped, an empty string is the empty list. */
const fromList = (text: string): unknown =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

function checkList(
  value: unknown,
  checkItem: (item: string) => string | undefined,
): string | undefined {
  if (!Array.isArray(value)) return '';
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'string') return `item ${i + 1} is not a string`;
    const why = checkItem(item);
    if (why !== undefined) return `item ${i + 1}: ${why}`;
  }
  return undefined;
}

/** Undefined when `fn` succeeds, else its error's `reason` (our syntax errors) or message. */
function failure(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (
      err instanceof CanFilterSyntaxError ||
      err instanceof CidrSyntaxError ||
      err instanceof PeerSyntaxError
    ) {
      return `${JSON.stringify(err.text)}: ${err.reason}`;
    }
    return err instanceof Error ? err.message : String(err);
  }
}

function isMulticastAddress(text: string): boolean {
  if (isIPv4(text)) {
    const first = Number(text.split('.')[0]);
    return first >= 224 && first <= 239; // RFC 5771: 224.0.0.0/4
  }
  if (isIPv6(text) && !text.includes('%')) return parseCidr(text).bytes[0] === 0xff; // RFC 4291 2.7: ff00::/8
  return false;
}

function checkSenderId(text: string): string | undefined {
  if (text.length > SENDER_ID_MAX_LENGTH) return `${text.length} characters is too long`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'it contains a control character';
  return undefined;
}

export const FORMATS = {
  'cmb-boolean': {
    describe: () => 'true or false',
    check: (v) => (typeof v === 'boolean' ? undefined : ''),
    fromString: (text) => {
      const t = text.trim().toLowerCase();
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : text;
    },
  },
  'cmb-integer': {
    describe: ({ min = 0, max = Number.MAX_SAFE_INTEGER }) => `an integer from ${min} to ${max}`,
    check: (v, { min = 0, max = Number.MAX_SAFE_INTEGER }) =>
      Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : '',
    fromString: (text) => (/^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : text),
  },
  'cmb-interface': {
    describe: ({ allowEmpty }) =>
      allowEmpty ? `${INTERFACE_NAME_TEXT}, or "" to let the kernel choose` : INTERFACE_NAME_TEXT,
    // linux/net/core/dev.c dev_valid_name, on the UTF-8 bytes (src/net/interface-name.ts).
    check: (v, { allowEmpty }) =>
      typeof v !== 'string'
        ? ''
        : allowEmpty === true && v === ''
          ? undefined
          : interfaceNameProblem(v),
    fromString: identity,
  },
  'cmb-multicast-group': {
    describe: () =>
      'an IPv4 multicast address (224.0.0.0/4) or an IPv6 multicast address (ff00::/8), or "none" for unicast peers only',
    check: (v) =>
      typeof v === 'string' && (v === 'none' || isMulticastAddress(v)) ? undefined : '',
    fromString: identity,
  },
  'cmb-ip-address': {
    describe: () => 'an IPv4 or IPv6 address, e.g. "127.0.0.1" or "::1"',
    check: (v) => (typeof v === 'string' && (isIPv4(v) || isIPv6(v)) ? undefined : ''),
    fromString: identity,
  },
  'cmb-cidr-list': {
    describe: () =>
      'a list of networks in CIDR notation, e.g. ["192.168.1.0/24", "fd00::/8"]; [] allows every source',
    check: (v) => checkList(v, (item) => failure(() => parseCidr(item))),
    fromString: fromList,
  },
  'cmb-peer-list': {
    describe: () => `a list of unicast peers, each ${PEER_SYNTAX}; [] for none`,
    check: (v) => checkList(v, (item) => failure(() => parsePeer(item))),
    fromString: fromList,
  },
  'cmb-can-filters': {
    describe: () =>
      `a list of at most ${CAN_RAW_FILTER_MAX} CAN id filters, each ${CAN_FILTER_SYNTAX}; [] passes every frame`,
    check: (v) =>
      Array.isArray(v) && v.length > CAN_RAW_FILTER_MAX
        ? `${v.length} filters is too many`
        : checkList(v, (item) => failure(() => parseCanFilter(item))),
    fromString: fromList,
  },
  'cmb-sender-id': {
    describe: () =>
      `a string of at most ${SENDER_ID_MAX_LENGTH} characters without control characters ("" derives "<host name>/<CAN interface>")`,
    check: (v) => (typeof v === 'string' ? checkSenderId(v) : ''),
    fromString: identity,
  },
  'cmb-sender-id-list': {
    describe: () =>
      `a list of sender ids, each 1 to ${SENDER_ID_MAX_LENGTH} characters without control characters`,
    check: (v) => checkList(v, (item) => (item === '' ? 'it is empty' : checkSenderId(item))),
    fromString: fromList,
  },
  'cmb-log-level': {
    describe: () => `one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}`,
    check: (v) => ((LOG_LEVELS as readonly unknown[]).includes(v) ? undefined : ''),
    fromString: identity,
  },
} satisfies Record<string, FormatSpec>;

export type FormatName = keyof typeof FORMATS;

export function isFormatName(name: unknown): name is FormatName {
  return typeof name === 'string' && Object.hasOwn(FORMATS, name);
}

/** "expected ..." plus the reason, when there is one; undefined for a valid value. */
export function explainInvalid(
  format: FormatName,
  value: unknown,
  limits: FormatLimits,
): string | undefined {
  const spec: FormatSpec = FORMATS[format];
  const why = spec.check(value, limits);
  if (why === undefined) return undefined;
  return `expected ${spec.describe(limits)}${why === '' ? '' : `; ${why}`}`;
}

let registered = false;

/**
 * Registers the `cmb-*` formats with convict (its registry is global); idempotent. convict needs
 * them to build the schema; `loadConfig` runs the same checks itself, once, so that each problem
 * names its source, and never calls convict's `validate()`.
 */
export function registerConvictFormats(): void {
  if (registered) return;
  for (const name of Object.keys(FORMATS) as FormatName[]) {
    convict.addFormat({
      name,
      // convict passes the schema item, which carries our limits (min, max, allowEmpty).
      validate(value: unknown, item: convict.SchemaObj) {
        const problem = explainInvalid(name, value, item as FormatLimits);
        if (problem !== undefined) throw new BridgeError('ERR_CONFIG', problem);
      },
    });
  }
  registered = true;
}
