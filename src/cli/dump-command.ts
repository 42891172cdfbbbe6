/** `can-multicast-bridge dump`: print the frames on a multicast group, candump style. */
import { parseArgs } from 'node:util';
import type { ReceivedFrame } from '../multicast/multicast-bus.js';
import type { CliIo } from './cli-io.js';
import { startBus } from './explain-bus-error.js';
import { EXIT_INCOMPLETE, EXIT_OK } from './exit-codes.js';
import { formatCandumpLine, formatJsonLine } from './format-dump-line.js';
import {
  intOption,
  MULTICAST_OPTIONS,
  MULTICAST_OPTIONS_HELP,
  multicastBusOptions,
  parseCommandLine,
  STRICT,
  secondsOption,
} from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const DUMP_HELP = `Usage: can-multicast-bridge dump [options]

Prints every CAN frame received on the multicast group, one per line, as candump -L does:
  (1700000000.123456) vcan0 123#DEADBEEF
The channel is python-can's "channel" field ("-" when empty); the timestamp is the local receive
time. Frames this process sent and datagrams that are not valid python-can frames are not shown;
a summary of what was dropped goes to stderr at the end.

Options:
  -j, --json             one JSON object per line, python-can's field names, data as hex
  -n, --count N          exit after N frames
  -T, --timeout S        exit after S seconds (exit status 1 if --count frames did not all arrive)

${MULTICAST_OPTIONS_HELP}`;

const OPTIONS = {
  ...MULTICAST_OPTIONS,
  json: { type: 'boolean', short: 'j' },
  count: { type: 'string', short: 'n' },
  timeout: { type: 'string', short: 'T' },
} as const;

export async function dumpCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine('dump', args, OPTIONS, (a) =>
    parseArgs({ args: a, options: OPTIONS, ...STRICT }),
  );
  if (values.help === true) {
    io.stdout.write(`${DUMP_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 0)
    throw new UsageError(`dump takes no arguments, got "${positionals[0]}"`);
  const count = intOption('count', values.count, 1, Number.MAX_SAFE_INTEGER, Infinity);
  const timeoutS = secondsOption('timeout', values.timeout);
  const format = values.json === true ? formatJsonLine : formatCandumpLine;

  const busOptions = multicastBusOptions(values);
  const bus = io.createBus({ ...busOptions, clock: io.clock });
  await startBus(bus, 'dump', busOptions);
  const info = bus.info;
  if (info !== null) {
    const where = info.interface === null ? '' : ` on ${info.interface}`;
    io.stderr.write(`dump: listening to ${info.group} port ${info.port}${where}\n`);
  }
  let seen = 0;
  const done = new AbortController();
  const onAbort = () => done.abort();
  io.signal.addEventListener('abort', onAbort);
  const timer = timeoutS === undefined ? null : setTimeout(onAbort, timeoutS * 1000);
  try {
    await new Promise<void>((resolve) => {
      done.signal.addEventListener('abort', () => resolve());
      if (io.signal.aborted) resolve();
      bus.on('frame', ({ frame }: ReceivedFrame) => {
        if (done.signal.aborted) return;
        io.stdout.write(`${format(frame)}\n`);
        if (++seen >= count) done.abort();
      });
    });
  } finally {
    if (timer !== null) clearTimeout(timer);
    io.signal.removeEventListener('abort', onAbort);
    await bus.close();
  }
  const stats = bus.stats();
  const dropped = Object.entries(stats.dropped)
    .filter(([reason]) => reason !== 'own_echo')
    .map(([reason, n]) => `${reason}=${n}`);
  io.stderr.write(
    `dump: ${seen} frames${dropped.length > 0 ? `, dropped ${dropped.join(' ')}` : ''}\n`,
  );
  if (count !== Infinity && seen < count) {
    io.stderr.write(`dump: received ${seen} of ${count} frames\n`);
    return EXIT_INCOMPLETE;
  }
  return EXIT_OK;
}
