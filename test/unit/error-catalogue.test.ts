// Every error code in one table, in the spirit of undici's test/errors.js: for each code of
// src/error-catalogue.ts one error made by the class that throws it, checked for its class, name,
// code, cause (and the system error fields carried from it) and the CLI's exit status.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CanFilterSyntaxError, parseCanFilter } from '../../src/can/can-filter.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { ConfigError } from '../../src/config/load-config.js';
import type { ErrorCode } from '../../src/error-catalogue.js';
import { ERROR_CATALOGUE, exitStatusOf, isErrorCode } from '../../src/error-catalogue.js';
import { BridgeError, BridgeRangeError } from '../../src/errors.js';
import { canFdPaddedLength, makeFrame } from '../../src/frame.js';
import { parseFrameString } from '../../src/frame-string.js';
import { MulticastError } from '../../src/multicast/multicast-error.js';
import { CidrSyntaxError, parseCidr } from '../../src/net/cidr.js';
import { parsePeer, PeerSyntaxError } from '../../src/multicast/peer-address.js';
import { encodeFrameInto, InvalidFrameError } from '../../src/protocol/encode-frame.js';
import { CanTxDropError } from '../../src/socketcan/can-tx-drop-error.js';
import { kernelFilterArray } from '../../src/socketcan/kernel-filter.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A system error as the addon and `dgram` throw them. */
function systemError(code: string, errno: number, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

type Row = [
  code: ErrorCode,
  exit: number,
  name: string,
  type: abstract new (...args: never[]) => Error,
  make: (cause: unknown) => unknown,
  /** Whether `make` passes the cause on (the parsers' errors have none). */
  takesCause: boolean,
];

const EADDRINUSE = () => systemError('EADDRINUSE', -98, 'bind');

// The codes only the addon throws are checked against native/src below, not constructed here.
const ROWS: Row[] = [
  ['ERR_USAGE', 64, 'UsageError', UsageError, (cause) => new UsageError('bad', { cause }), true],
  ...(['ERR_INVALID_GROUP', 'ERR_INVALID_OPTION', 'ERR_UNKNOWN_INTERFACE'] as const).map(
    (code): Row => [
      code,
      64,
      'MulticastError',
      MulticastError,
      (cause) => new MulticastError(code, 'bad', cause),
      true,
    ],
  ),
  [
    'ERR_CONFIG',
    78,
    'ConfigError',
    ConfigError,
    (cause) => new ConfigError('bad', [], { cause }),
    true,
  ],
  [
    'ERR_CAN_OPEN',
    69,
    'BridgeError',
    BridgeError,
    (cause) => new BridgeError('ERR_CAN_OPEN', 'cannot open', { cause }),
    true,
  ],
  ...(
    [
      'ERR_MULTICAST_SOCKET',
      'ERR_MULTICAST_BIND',
      'ERR_MULTICAST_JOIN',
      'ERR_MULTICAST_SEND',
    ] as const
  ).map((code): Row => [
    code,
    69,
    'MulticastError',
    MulticastError,
    (cause) => new MulticastError(code, 'failed', cause),
    true,
  ]),
  ...(['ERR_BUS_NOT_STARTED', 'ERR_BUS_CLOSED'] as const).map((code): Row => [
    code,
    70,
    'MulticastError',
    MulticastError,
    (cause) => new MulticastError(code, 'not open', cause),
    true,
  ]),
  ...(
    [
      'ERR_METRICS_LISTEN',
      'ERR_METRICS_STARTED',
      'ERR_CAN_ADDON',
      'ERR_CAN_INTERFACE',
      'ERR_CAN_SOCKET_CLOSED',
      'ERR_CAN_FD_UNSUPPORTED',
      'ERR_OWN_ECHO_FILTER',
      'ERR_SCHEMA',
      'ERR_UNSUPPORTED_HOST',
      'ERR_NOT_AN_ERROR',
    ] as const
  ).map((code): Row => [
    code,
    code === 'ERR_METRICS_LISTEN' ? 69 : 70,
    'BridgeError',
    BridgeError,
    (cause) => new BridgeError(code, 'failed', { cause }),
    true,
  ]),
  [
    'ERR_INVALID_FRAME',
    70,
    'InvalidFrameError',
    InvalidFrameError,
    () => new InvalidFrameError('remote_fd'),
    false,
  ],
  [
    'ERR_CAN_TX_DROPPED',
    70,
    'CanTxDropError',
    CanTxDropError,
    (cause) => new CanTxDropError('rejected', 'vcan0', cause as Error),
    true,
  ],
  [
    'ERR_BUFFER_TOO_SMALL',
    70,
    'BridgeError',
    BridgeError,
    () => thrown(() => encodeFrameInto(makeFrame({ arbitrationId: 1 }), new Uint8Array(4))),
    false,
  ],
  [
    'ERR_FRAME_SYNTAX',
    70,
    'BridgeError',
    BridgeError,
    () => thrown(() => parseFrameString('x')),
    false,
  ],
  [
    'ERR_CAN_FILTER',
    70,
    'CanFilterSyntaxError',
    CanFilterSyntaxError,
    () => thrown(() => parseCanFilter('x')),
    false,
  ],
  ['ERR_CIDR', 70, 'CidrSyntaxError', CidrSyntaxError, () => thrown(() => parseCidr('x')), false],
  ['ERR_PEER', 70, 'PeerSyntaxError', PeerSyntaxError, () => thrown(() => parsePeer('a:b')), false],
  [
    'ERR_OUT_OF_RANGE',
    70,
    'BridgeRangeError',
    BridgeRangeError,
    () => thrown(() => canFdPaddedLength(65)),
    false,
  ],
];

const ADDON_ONLY = Object.entries(ERROR_CATALOGUE)
  .filter(([, entry]) => entry.from === 'addon')
  .map(([code]) => code);

describe('the error catalogue (src/error-catalogue.ts)', () => {
  it('has a row in this table for every code the TypeScript throws, and no other', () => {
    const ours = Object.keys(ERROR_CATALOGUE).filter((code) => !ADDON_ONLY.includes(code));
    expect(ROWS.map(([code]) => code).sort()).toEqual(ours.sort());
  });

  it.each(ROWS)('%s: exit %i, a %s', (code, exit, name, type, make, takesCause) => {
    const cause = EADDRINUSE();
    const err = make(cause);
    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(Error);
    if (code !== 'ERR_OUT_OF_RANGE') expect(err).toBeInstanceOf(BridgeError);
    expect(err).toMatchObject({ name, code });
    expect((err as Error).message).not.toBe('');
    expect(exitStatusOf(code)).toBe(exit);
    expect(ERROR_CATALOGUE[code].exit).toBe(exit);
    expect(ERROR_CATALOGUE[code].description).toMatch(/^[a-z].*[^.]$/);
    if (takesCause) {
      expect((err as Error).cause).toBe(cause);
      expect(err).toMatchObject({ sysCode: 'EADDRINUSE', errno: -98, syscall: 'bind' });
    } else {
      expect(err).toMatchObject({ sysCode: undefined, errno: undefined, syscall: undefined });
    }
  });

  it('carries the system error fields through a wrapped BridgeError', () => {
    const inner = new MulticastError('ERR_MULTICAST_JOIN', 'cannot join', EADDRINUSE());
    const outer = new BridgeError('ERR_MULTICAST_JOIN', 'cannot listen', { cause: inner });
    expect(outer).toMatchObject({ sysCode: 'EADDRINUSE', errno: -98, syscall: 'bind' });
    expect(new BridgeError('ERR_USAGE', 'x', { cause: new UsageError('y') }).sysCode).toBe(
      undefined,
    );
  });

  it('keeps the RangeError of a number out of range (kernelFilterArray, canFdPaddedLength)', () => {
    const many = Array.from({ length: 513 }, () => ({ id: 0, mask: 0 }));
    expect(thrown(() => kernelFilterArray(many))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(thrown(() => kernelFilterArray(many))).toBeInstanceOf(RangeError);
  });

  it.each(ADDON_ONLY)('%s: thrown by the addon only, exit 70', (code) => {
    expect(exitStatusOf(code)).toBe(70);
  });

  it.each([
    ['ENODEV', 'an errno name'],
    ['ERR_PARSE_ARGS_UNKNOWN_OPTION', "Node's own code"],
    ['ERR_CRTL', 'a CAN error-frame constant'],
    [undefined, 'no code'],
  ])('gives no exit status for %s (%s)', (code, _what) => {
    expect(isErrorCode(code)).toBe(false);
    expect(exitStatusOf(code)).toBe(undefined);
  });
});

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The quoted ERR_* strings of each file. */
function quotedCodes(files: string[], pattern: RegExp): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const code = m[1] as string;
      found.set(code, [...(found.get(code) ?? []), file]);
    }
  }
  return found;
}

describe('the catalogue against the sources', () => {
  // src/can/linux-can.ts spells the <linux/can/error.h> constants as identifiers, never quoted.
  const ts = filesUnder('src', /\.ts$/).filter((f) => !f.endsWith('error-catalogue.ts'));
  const native = filesUnder('native/src', /\.(cc|h)$/);
  const tsCodes = quotedCodes(ts, /'(ERR_[A-Z0-9_]+)'/g);
  const nativeCodes = quotedCodes(native, /Coded(?:Type)?Error\(env, "(ERR_[A-Z0-9_]+)"/g);

  it('lists every code quoted in src/ (classified Node codes aside)', () => {
    // parse-command-line.ts classifies Node's util.parseArgs errors by this prefix.
    const unlisted = [...tsCodes.keys()].filter(
      (c) => !isErrorCode(c) && !c.startsWith('ERR_PARSE_ARGS'),
    );
    expect(unlisted).toEqual([]);
  });

  it("lists every code of the addon's CodedError / CodedTypeError as thrown by it", () => {
    for (const code of nativeCodes.keys()) {
      expect(isErrorCode(code), code).toBe(true);
      expect(['addon', 'both'], code).toContain(ERROR_CATALOGUE[code as ErrorCode].from);
    }
  });

  it.each(Object.entries(ERROR_CATALOGUE))('%s is thrown where it says', (code, entry) => {
    expect(nativeCodes.has(code), `native/src throws ${code}`).toBe(entry.from !== 'ts');
    expect(tsCodes.has(code), `src/ throws ${code}`).toBe(entry.from !== 'addon');
  });

  // Node-style system errors (code, errno, syscall) are built as the addon builds them; the
  // decoder's Fault and decode-canonical's switch never leave their function.
  const ALLOWED = new Map([
    ['src/socketcan/system-error.ts', 1],
    ['src/multicast/send-queue.ts', 1],
    ['src/protocol/msgpack-reader.ts', 1],
    ['src/protocol/decode-canonical.ts', 1],
  ]);

  it('throws no plain Error, TypeError or RangeError outside src/errors.ts', () => {
    const plain = /new (?:Error|TypeError|RangeError)\(|extends (?:Error|TypeError|RangeError)\b/g;
    const found = new Map<string, number>();
    for (const file of ts) {
      const rel = file.slice(ROOT.length);
      if (rel === 'src/errors.ts') continue;
      const n = [...readFileSync(file, 'utf8').matchAll(plain)].length;
      if (n > 0) found.set(rel, n);
    }
    expect(found).toEqual(ALLOWED);
  });
});
