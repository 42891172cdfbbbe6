/**
 * Every error `code` the project throws, in one list: who throws it, the exit status a command
 * ends with when the error reaches the CLI, and what it means. Errors are classified by these
 * codes only, never by message text. Node's own codes (`ERR_PARSE_ARGS_*`) and errno names
 * (`ENODEV`, carried as `sysCode`) are classified where they arrive, not listed: we do not throw
 * them. The `ERR_CRTL_*`, `ERR_BUSOFF`, ... constants of src/can/linux-can.ts are CAN error-frame
 * bits (<linux/can/error.h>), not error codes.
 */
import {
  EX_CONFIG,
  EX_SOFTWARE,
  EX_UNAVAILABLE,
  EX_USAGE,
  EXIT_INCOMPLETE,
  EXIT_OK,
} from './cli/exit-codes.js';

/** One code of the catalogue. */
export interface ErrorCatalogueEntry {
  /**
   * The exit status when the error ends a command (sysexits.h). EX_SOFTWARE (70) means a bug:
   * the CLI prints the stack. Codes that are caught and rethrown as another code (a CIDR syntax
   * error becomes ERR_CONFIG) are 70 too: reaching the CLI unwrapped would be a bug.
   */
  readonly exit: number;
  /** Where it is thrown: our TypeScript (src/), the addon (native/src/ `CodedError`), or both. */
  readonly from: 'ts' | 'addon' | 'both';
  /** What it means, in one line. */
  readonly description: string;
}

export const ERROR_CATALOGUE = {
  ERR_USAGE: {
    exit: EX_USAGE,
    from: 'ts',
    description:
      'a bad command line: an unknown option, a bad value, options that exclude each other',
  },
  ERR_INVALID_GROUP: {
    exit: EX_USAGE,
    from: 'ts',
    description: 'the multicast group is not a multicast address of the configured family',
  },
  ERR_INVALID_OPTION: {
    exit: EX_USAGE,
    from: 'ts',
    description:
      'a multicast bus option is unusable: port, hop limit, buffer size, a link-local group without an interface',
  },
  ERR_UNKNOWN_INTERFACE: {
    exit: EX_USAGE,
    from: 'ts',
    description: 'the network interface for multicast does not exist or has no usable address',
  },
  ERR_CONFIG: {
    exit: EX_CONFIG,
    from: 'ts',
    description: 'the configuration cannot be read or is invalid (file, environment, --set)',
  },
  ERR_CAN_OPEN: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description:
      'the CAN interface cannot be opened (CanSocket.start(); sysCode, errno and syscall from the addon)',
  },
  ERR_MULTICAST_SOCKET: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description: 'a multicast socket cannot be created or configured (a socket option failed)',
  },
  ERR_MULTICAST_BIND: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description: 'the multicast socket cannot be bound to its address and port',
  },
  ERR_MULTICAST_JOIN: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description: 'the multicast group cannot be joined on the interface',
  },
  ERR_MULTICAST_SEND: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description: 'a datagram cannot be sent to the group (or the send queue is full)',
  },
  ERR_METRICS_LISTEN: {
    exit: EX_UNAVAILABLE,
    from: 'ts',
    description: 'the metrics server cannot listen on its address and port',
  },
  ERR_METRICS_STARTED: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'the metrics server was started twice',
  },
  ERR_BUS_NOT_STARTED: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a frame was sent on a multicast bus that is not started',
  },
  ERR_BUS_CLOSED: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'the multicast bus is closed (a send, or a start that a close overtook)',
  },
  ERR_CAN_ADDON: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'the native addon (native/build) is missing or does not load',
  },
  ERR_CAN_INTERFACE: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a CAN socket was asked for a name that is no interface name',
  },
  ERR_CAN_SOCKET_CLOSED: {
    exit: EX_SOFTWARE,
    from: 'both',
    description: 'a CAN socket was started or sent on after it was closed',
  },
  ERR_CAN_FD_UNSUPPORTED: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a CAN FD frame was sent on an interface that is not CAN FD capable',
  },
  ERR_CAN_TX_DROPPED: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description:
      'a frame given to CanSocket.write() was dropped, not sent (its `reason` says why: queue_full, stale, closed, ...)',
  },
  ERR_INVALID_FRAME: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a frame python-can or SocketCAN would reject was given to send or encode',
  },
  ERR_BUFFER_TOO_SMALL: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'the buffer given to encodeFrameInto cannot hold the datagram',
  },
  ERR_FRAME_SYNTAX: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a frame string is not cansend or candump -L syntax (send makes it ERR_USAGE)',
  },
  ERR_CAN_FILTER: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a CAN filter is not candump syntax (rethrown as ERR_CONFIG or ERR_USAGE)',
  },
  ERR_CIDR: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a source network is not CIDR notation (rethrown as ERR_CONFIG)',
  },
  ERR_PEER: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a unicast peer is not HOST[:PORT] (rethrown as ERR_CONFIG or ERR_USAGE)',
  },
  ERR_OUT_OF_RANGE: {
    exit: EX_SOFTWARE,
    from: 'both',
    description: 'a number is outside what the kernel takes (filter count, FD length, send count)',
  },
  ERR_INVALID_ARG_TYPE: {
    exit: EX_SOFTWARE,
    from: 'addon',
    description: 'an addon function was called with arguments of the wrong type',
  },
  ERR_INVALID_ARG_VALUE: {
    exit: EX_SOFTWARE,
    from: 'addon',
    description: 'an addon function was called with a value it cannot use',
  },
  ERR_SOCKET_CLOSED: {
    exit: EX_SOFTWARE,
    from: 'addon',
    description: 'a UDP socket of the addon was used after close',
  },
  ERR_CAN_NO_LOOP: {
    exit: EX_SOFTWARE,
    from: 'addon',
    description: 'the addon found no event loop to poll a CAN socket on',
  },
  ERR_SOCKET_NO_LOOP: {
    exit: EX_SOFTWARE,
    from: 'addon',
    description: 'the addon found no event loop to poll a UDP socket on',
  },
  ERR_OWN_ECHO_FILTER: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'no own-echo socket filter fits the local addresses (echoes are dropped in JS)',
  },
  ERR_SCHEMA: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'a key of the config schema lacks its format, doc or environment variable',
  },
  ERR_UNSUPPORTED_HOST: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'the host is big-endian; the codec assumes a little-endian one',
  },
  ERR_NOT_AN_ERROR: {
    exit: EX_SOFTWARE,
    from: 'ts',
    description: 'something threw a value that is not an Error; it is the cause',
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

/** Every code the project throws. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** True when `code` is one of the catalogue's. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The exit status for an error code, or undefined for a code that is not ours. */
export function exitStatusOf(code: string | undefined): number | undefined {
  return isErrorCode(code) ? ERROR_CATALOGUE[code].exit : undefined;
}

/** The exit statuses of every command, as README.md "### Exit status" lists them (a test checks). */
export const EXIT_STATUSES: readonly { readonly status: number; readonly meaning: string }[] = [
  { status: EXIT_OK, meaning: 'done' },
  {
    status: EXIT_INCOMPLETE,
    meaning:
      'incomplete: `dump --count N --timeout S` got fewer than N frames; `send --keep-going` skipped a line',
  },
  {
    status: EX_USAGE,
    meaning:
      'bad usage: unknown option, bad frame string, invalid id, a group that is not multicast',
  },
  { status: EX_UNAVAILABLE, meaning: 'a socket could not be opened, bound or joined' },
  { status: EX_SOFTWARE, meaning: 'internal error (a bug: please report it)' },
  { status: EX_CONFIG, meaning: 'bad configuration' },
];
