/** `can-multicast-bridge send`: send frames in cansend syntax, or replay a candump log, to a group. */
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { BridgeError, errorCode } from '../errors.js';
import type { CanChannel, CanFrame } from '../frame.js';
import { encodeFrame, InvalidFrameError } from '../protocol/encode-frame.js';
import { MAX_DATAGRAM_BYTES } from '../protocol/wire-keys.js';
import type { CliIo } from './cli-io.js';
import { EXIT_INCOMPLETE, EXIT_OK } from './exit-codes.js';
import { explainBusError, startBus } from './explain-bus-error.js';
import { parseFrameLine } from './frame-line.js';
import { argumentLines, streamLines } from './frame-source.js';
import type { SourceLine } from './frame-source.js';
import {
  intOption,
  MULTICAST_OPTIONS,
  MULTICAST_OPTIONS_HELP,
  multicastBusOptions,
  parseCommandLine,
  STRICT,
} from './parse-command-line.js';
import { SendPacer } from './send-pacer.js';
import type { PaceMode } from './send-pacer.js';
import { UsageError } from './usage-error.js';

export const SEND_HELP = `Usage: can-multicast-bridge send [options] FRAME...
       can-multicast-bridge send [options] -      (frames from stdin, one per line)

Sends each FRAME, written as for cansend, as one python-can datagram:
  123#DEADBEEF         classic frame, 11-bit id (3 hex digits); data bytes may be split by '.'
  12345678#00.11       29-bit id (8 hex digits)
  123#R  123#R4        remote frame, with an optional requested length 0..8
  123##1DEADBEEF       CAN FD frame: a flags digit (1 = bit rate switch, 2 = error state
                       indicator, 3 = both, 0 = none; 4, FDF, is accepted) then up to 64 bytes
  20000004#0000000000000000
                       error frame (CAN_ERR_FLAG 0x20000000 in an 8-digit id)
Every FRAME argument is checked before anything is sent; one bad frame sends nothing.

With '-', stdin holds one frame a line: in cansend syntax, or a candump log line as candump -L,
candump -l and 'dump' write it: (1700000000.123456) can0 123#DEADBEEF. Blank lines and lines
starting with '#' are skipped. A bad line is reported with its number and nothing more is sent
(--keep-going skips it instead).

Options:
  -c, --channel NAME     python-can "channel" field of every frame (default: a log line's
                         interface, mapped by --map; none for bare frames)
      --map IFACE=NAME   the channel for a log's interface IFACE, e.g. --map can0=a (repeatable)
      --replay           keep the gaps between the log's timestamps, as canplayer does
      --interval MS      pause MS milliseconds between frames instead (default 0; as canplayer -g)
      --loop N           send it all N times ('i': until interrupted; default 1)
      --keep-going       skip a bad frame or line (reported on stderr; exit status 1 at the end)

${MULTICAST_OPTIONS_HELP}`;

const OPTIONS = {
  ...MULTICAST_OPTIONS,
  channel: { type: 'string', short: 'c' },
  map: { type: 'string', multiple: true },
  replay: { type: 'boolean' },
  interval: { type: 'string' },
  loop: { type: 'string' },
  'keep-going': { type: 'boolean' },
} as const;

/** A frame ready to send, with its log time (null for a bare frame). */
interface Planned {
  frame: CanFrame;
  logS: number | null;
}

function parseMap(texts: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const text of texts) {
    const eq = text.indexOf('=');
    if (eq <= 0 || eq === text.length - 1)
      throw new UsageError(`--map takes IFACE=NAME, e.g. --map can0=a; got "${text}"`);
    map.set(text.slice(0, eq), text.slice(eq + 1));
  }
  return map;
}

/**
 * One line as a frame to send, or null for a skipped line; throws ERR_FRAME_SYNTAX naming where.
 * The datagram is encoded once here, so a frame python-can could not take (e.g. over its 4096-byte
 * limit through a long channel) is refused before it is sent, not half-way through.
 */
function planLine(
  line: SourceLine,
  channelOf: (iface: string | null) => CanChannel,
): Planned | null {
  try {
    const parsed = parseFrameLine(line.text);
    if (parsed.kind === 'skip') return null;
    const frame = { ...parsed.frame, channel: channelOf(parsed.iface) };
    encodeFrame(frame);
    return { frame, logS: parsed.timestamp };
  } catch (err) {
    const why =
      err instanceof InvalidFrameError
        ? err.reason === 'too_large'
          ? `invalid frame "${line.text.trim()}": its datagram would exceed python-can's ${MAX_DATAGRAM_BYTES}-byte limit (a shorter --channel?)`
          : `invalid frame "${line.text.trim()}": python-can would reject it (${err.reason})`
        : errorCode(err) === 'ERR_FRAME_SYNTAX'
          ? (err as Error).message
          : undefined;
    if (why === undefined) throw err;
    throw new BridgeError('ERR_FRAME_SYNTAX', `${line.where}: ${why}`, { cause: err });
  }
}

export async function sendCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine('send', args, OPTIONS, (a) =>
    parseArgs({ args: a, options: OPTIONS, ...STRICT }),
  );
  if (values.help === true) {
    io.stdout.write(`${SEND_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length === 0)
    throw new UsageError("send needs at least one FRAME, e.g. 123#DEADBEEF, or '-' for stdin");
  const fromStdin = positionals.includes('-');
  if (fromStdin && positionals.length > 1)
    throw new UsageError("send takes either FRAME arguments or '-' (stdin), not both");
  if (values.replay === true && values.interval !== undefined)
    throw new UsageError('--replay and --interval exclude each other');
  const loops =
    values.loop === 'i' ? Infinity : intOption('loop', values.loop, 1, Number.MAX_SAFE_INTEGER, 1);
  const mode: PaceMode =
    values.replay === true
      ? { kind: 'replay' }
      : { kind: 'interval', ms: intOption('interval', values.interval, 0, 3_600_000, 0) };
  const keepGoing = values['keep-going'] === true;
  const map = parseMap(values.map ?? []);
  const channel = values.channel;
  const channelOf = (iface: string | null): CanChannel =>
    channel ?? (iface === null ? null : (map.get(iface) ?? iface));
  const busOptions = multicastBusOptions(values);
  const stdin = io.stdin;
  if (fromStdin && stdin === undefined) throw new UsageError('send -: no stdin here');

  let skipped = 0;
  const plan = (line: SourceLine): Planned | null => {
    try {
      return planLine(line, channelOf);
    } catch (err) {
      if (!keepGoing || errorCode(err) !== 'ERR_FRAME_SYNTAX') {
        if (errorCode(err) === 'ERR_FRAME_SYNTAX')
          throw new UsageError((err as Error).message, { cause: err });
        throw err;
      }
      skipped++;
      io.stderr.write(`can-multicast-bridge send: skipped ${(err as Error).message}\n`);
      return null;
    }
  };
  // FRAME arguments are all checked before the bus opens: one bad frame sends nothing.
  const fromArgs = fromStdin ? null : [...argumentLines(positionals)].map(plan);

  const bus = io.createBus(busOptions, { clock: io.clock });
  await startBus(bus, 'send', busOptions);
  const pacer = new SendPacer(mode);
  let sent = 0;
  const sendOne = async (p: Planned): Promise<void> => {
    await pacer.wait(p.logS, io.signal);
    if (io.signal.aborted) return;
    await bus.sendAsync({ ...p.frame, timestamp: io.clock() }).catch((err: unknown) => {
      throw explainBusError(err, 'send', busOptions);
    });
    sent++;
  };
  try {
    // The first pass reads the source (stdin as it comes); later passes (--loop) replay it.
    const kept: Planned[] = [];
    const first: Iterable<Planned | null> | AsyncIterable<SourceLine> =
      fromArgs ?? streamLines(stdin as Readable);
    for await (const item of first) {
      if (io.signal.aborted) break;
      const p = fromArgs === null ? plan(item as SourceLine) : (item as Planned | null);
      if (p === null) continue;
      await sendOne(p);
      if (loops > 1) kept.push(p);
    }
    for (let pass = 1; pass < loops && !io.signal.aborted && kept.length > 0; pass++) {
      pacer.restart();
      for (const p of kept) {
        if (io.signal.aborted) break;
        await sendOne(p);
      }
    }
  } finally {
    await bus.close();
  }
  if (skipped > 0) {
    io.stderr.write(`can-multicast-bridge send: ${sent} frames sent, ${skipped} skipped\n`);
    return EXIT_INCOMPLETE;
  }
  return EXIT_OK;
}
