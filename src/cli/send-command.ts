/** `can-multicast-bridge send`: send frames written in cansend syntax to a multicast group. */
import { parseArgs } from 'node:util';
import type { CanFrame } from '../frame.js';
import { parseFrameString } from '../frame-string.js';
import { errorCode } from '../errors.js';
import type { CliIo } from './cli-io.js';
import { explainBusError, startBus } from './explain-bus-error.js';
import { EXIT_OK } from './exit-codes.js';
import {
  MULTICAST_OPTIONS,
  MULTICAST_OPTIONS_HELP,
  multicastBusOptions,
  parseCommandLine,
  STRICT,
  intOption,
} from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const SEND_HELP = `Usage: can-multicast-bridge send [options] FRAME...

Sends each FRAME, written as for cansend, as one python-can datagram:
  123#DEADBEEF         classic frame, 11-bit id (3 hex digits); data bytes may be split by '.'
  12345678#00.11       29-bit id (8 hex digits)
  123#R  123#R4        remote frame, with an optional requested length 0..8
  123##1DEADBEEF       CAN FD frame: a flags digit (1 = bit rate switch, 2 = error state
                       indicator, 3 = both, 0 = none) then up to 64 data bytes
  20000004#0000000000000000
                       error frame (CAN_ERR_FLAG 0x20000000 in an 8-digit id)
Every frame is checked before anything is sent; one bad frame sends nothing.

Options:
  -c, --channel NAME     python-can "channel" field of the frames (default: none)
      --interval MS      pause MS milliseconds between frames (default 0; as canplayer -g)

${MULTICAST_OPTIONS_HELP}`;

const OPTIONS = {
  ...MULTICAST_OPTIONS,
  channel: { type: 'string', short: 'c' },
  interval: { type: 'string' },
} as const;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
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
    throw new UsageError('send needs at least one FRAME, e.g. 123#DEADBEEF');
  const intervalMs = intOption('interval', values.interval, 0, 3_600_000, 0);
  const channel = values.channel ?? null;
  const frames: CanFrame[] = positionals.map((text) => {
    try {
      return parseFrameString(text, channel);
    } catch (err) {
      if (errorCode(err) === 'ERR_FRAME_SYNTAX')
        throw new UsageError((err as Error).message, { cause: err });
      throw err;
    }
  });

  const busOptions = multicastBusOptions(values);
  const bus = io.createBus({ ...busOptions, clock: io.clock });
  await startBus(bus, 'send', busOptions);
  try {
    for (const [i, frame] of frames.entries()) {
      if (io.signal.aborted) break;
      if (i > 0 && intervalMs > 0) await delay(intervalMs, io.signal);
      await bus.sendAsync({ ...frame, timestamp: io.clock() }).catch((err: unknown) => {
        throw explainBusError(err, 'send', busOptions);
      });
    }
  } finally {
    await bus.close();
  }
  return EXIT_OK;
}
