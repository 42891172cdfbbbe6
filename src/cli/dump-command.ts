/** `can-multicast-bridge dump`: print the frames on a multicast group, candump style. */
import { parseArgs } from 'node:util';
import { errorCode } from '../errors.js';
import type { ReceivedFrame } from '../multicast/multicast-bus-types.js';
import { BusLoadCounter } from './bus-load.js';
import type { BusRates } from './bus-load.js';
import type { CliIo, Writable } from './cli-io.js';
import { dumpFilterPasses, parseDumpFilter, parseSenders, senderPasses } from './dump-filter.js';
import { defaultLogName, DumpFormatter, DumpLogFile } from './dump-output.js';
import type { DumpFormat } from './dump-output.js';
import { TIMESTAMP_MODES } from './dump-timestamp.js';
import type { TimestampMode } from './dump-timestamp.js';
import { EXIT_INCOMPLETE, EXIT_OK } from './exit-codes.js';
import { startBus } from './explain-bus-error.js';
import {
  intOption,
  MULTICAST_OPTIONS,
  MULTICAST_OPTIONS_HELP,
  multicastBusOptions,
  parseCommandLine,
  secondsOption,
  STRICT,
} from './parse-command-line.js';
import { UsageError } from './usage-error.js';

export const DUMP_HELP = `Usage: can-multicast-bridge dump [options]

Prints every CAN frame received on the multicast group, one per line, as candump -L does:
  (1700000000.123456) vcan0 123#DEADBEEF
The channel is python-can's "channel" field ("-" when empty) where candump prints the interface;
the timestamp is the local receive time. Frames this process sent and datagrams that are not valid
python-can frames are not shown; a summary of what was dropped goes to stderr at the end.

Options:
  -f, --filter SPEC      candump's filters, comma-separated (repeatable): ID:MASK passes a frame
                         when frame id & MASK == ID & MASK, ID~MASK the others, #MASK error frames
                         of those classes, j: every filter must match (else any one); hex; an
                         8-digit ID is 29-bit. With --filter, error frames need #MASK (as candump).
                         e.g. --filter 123:7FF,400~700,#FFFFFFFF
  -s, --sender ID[,ID]   only frames whose python-can channel (a bridge's sender id) is one of
                         these ('-': frames without one)
  -t, --timestamp MODE   a absolute, A absolute with local date, d delta, z zero-based (candump -t;
                         the log format takes a or z)
      --format FORMAT    log (default: candump -L), human (candump's columns:
                         "  vcan0  123   [4]  DE AD BE EF"), json
  -j, --json             --format json: one JSON object a line, python-can's names, data as hex
  -l, --log [FILE]       write the log format into FILE (default candump-YYYY-MM-DD_HHMMSS.log,
                         as candump -l) instead of stdout
      --stats [S]        every S seconds (default 1) print frames/s per id to stderr, and with
                         --bitrate the bus load those frames would make (as canbusload estimates)
      --bitrate N        nominal bit rate for --stats, bit/s (e.g. 500000)
      --data-bitrate N   CAN FD data-phase bit rate for --stats (frames with BRS), bit/s
  -n, --count N          exit after N frames (that pass the filters)
  -T, --timeout S        exit after S seconds (exit status 1 if --count frames did not all arrive)

${MULTICAST_OPTIONS_HELP}`;

const OPTIONS = {
  ...MULTICAST_OPTIONS,
  filter: { type: 'string', short: 'f', multiple: true },
  sender: { type: 'string', short: 's', multiple: true },
  timestamp: { type: 'string', short: 't' },
  format: { type: 'string' },
  json: { type: 'boolean', short: 'j' },
  log: { type: 'string', short: 'l' },
  stats: { type: 'string' },
  bitrate: { type: 'string' },
  'data-bitrate': { type: 'string' },
  count: { type: 'string', short: 'n' },
  timeout: { type: 'string', short: 'T' },
} as const;

/** Options whose value may be left out (`--log`, `--stats`): an empty value then. */
const OPTIONAL_VALUE = new Set(['--log', '-l', '--stats']);

/** `--log` / `--stats` with no value (last, or before another option) get an empty one. */
function fillOptionalValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, arg] of args.entries()) {
    out.push(arg);
    const next = args[i + 1];
    const isOption = next !== undefined && next.startsWith('-') && !/^-[\d.]/.test(next);
    if (OPTIONAL_VALUE.has(arg) && (next === undefined || isOption)) out.push('');
  }
  return out;
}

function formatOf(values: { format?: string; json?: boolean }): DumpFormat {
  const format = values.format ?? (values.json === true ? 'json' : 'log');
  if (format !== 'log' && format !== 'human' && format !== 'json')
    throw new UsageError(`--format must be log, human or json, got "${format}"`);
  if (values.json === true && format !== 'json')
    throw new UsageError(`--json and --format ${format} exclude each other`);
  return format;
}

function timestampOf(value: string | undefined): TimestampMode | null {
  if (value === undefined) return null;
  if (!(TIMESTAMP_MODES as readonly string[]).includes(value))
    throw new UsageError(`--timestamp must be a, A, d or z (as candump -t), got "${value}"`);
  return value as TimestampMode;
}

function ratesOf(values: { bitrate?: string; 'data-bitrate'?: string }): BusRates | null {
  const max = 20_000_000;
  if (values.bitrate === undefined) {
    if (values['data-bitrate'] !== undefined)
      throw new UsageError('--data-bitrate needs --bitrate (the nominal rate) too');
    return null;
  }
  const bitrate = intOption('bitrate', values.bitrate, 1, max, 0);
  if (values['data-bitrate'] === undefined) return { bitrate };
  return { bitrate, dataBitrate: intOption('data-bitrate', values['data-bitrate'], 1, max, 0) };
}

export async function dumpCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine('dump', fillOptionalValues(args), OPTIONS, (a) =>
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
  const format = formatOf(values);
  const mode = timestampOf(values.timestamp);
  const filter = values.filter === undefined ? null : parseDumpFilter(values.filter);
  const senders = values.sender === undefined ? null : parseSenders(values.sender);
  const statsS =
    values.stats === undefined ? null : (secondsOption('stats', values.stats || '1') ?? 1);
  if (statsS !== null && statsS <= 0)
    throw new UsageError('--stats must be a number of seconds > 0');
  const rates = ratesOf(values);
  if (rates !== null && statsS === null) throw new UsageError('--bitrate is for --stats');
  if (values.log !== undefined && format !== 'log')
    throw new UsageError(`--log writes the log format; it excludes --format ${format}`);
  const formatter = new DumpFormatter(format, mode);

  const busOptions = multicastBusOptions(values);
  let logFile: DumpLogFile | null = null;
  if (values.log !== undefined) {
    const path = values.log === '' ? defaultLogName(io.clock()) : values.log;
    logFile = new DumpLogFile(path);
    await logFile.opened().catch((err: unknown) => {
      throw new UsageError(`cannot write --log ${path}: ${errorCode(err) ?? String(err)}`, {
        cause: err,
      });
    });
  }
  const out: Writable = logFile ?? io.stdout;
  const bus = io.createBus(busOptions, { clock: io.clock });
  try {
    await startBus(bus, 'dump', busOptions);
  } catch (err) {
    await logFile?.close();
    throw err;
  }
  const info = bus.info;
  if (info !== null) {
    const where = info.interface === null ? '' : ` on ${info.interface}`;
    io.stderr.write(`dump: listening to ${info.group} port ${info.port}${where}\n`);
  }
  if (logFile !== null) io.stderr.write(`dump: logging to ${logFile.path}\n`);
  let seen = 0;
  let filtered = 0;
  const load = statsS === null ? null : new BusLoadCounter();
  const done = new AbortController();
  const onAbort = () => done.abort();
  io.signal.addEventListener('abort', onAbort);
  const timer = timeoutS === undefined ? null : setTimeout(onAbort, timeoutS * 1000);
  const statsTimer =
    load === null || statsS === null
      ? null
      : setInterval(() => {
          for (const line of load.report(statsS, rates)) io.stderr.write(`${line}\n`);
        }, statsS * 1000);
  try {
    await new Promise<void>((resolve) => {
      done.signal.addEventListener('abort', () => resolve());
      if (io.signal.aborted) resolve();
      bus.on('frame', ({ frame }: ReceivedFrame) => {
        if (done.signal.aborted) return;
        if (
          (filter !== null && !dumpFilterPasses(filter, frame)) ||
          (senders !== null && !senderPasses(senders, frame))
        ) {
          filtered++;
          return;
        }
        out.write(`${formatter.line(frame)}\n`);
        load?.add(frame);
        if (++seen >= count) done.abort();
      });
    });
  } finally {
    if (timer !== null) clearTimeout(timer);
    if (statsTimer !== null) clearInterval(statsTimer);
    io.signal.removeEventListener('abort', onAbort);
    await bus.close();
    await logFile?.close();
  }
  const stats = bus.stats();
  const dropped = Object.entries(stats.dropped)
    .filter(([reason]) => reason !== 'own_echo')
    .map(([reason, n]) => `${reason}=${n}`);
  const notShown = filtered > 0 ? `, ${filtered} filtered out` : '';
  io.stderr.write(
    `dump: ${seen} frames${notShown}${dropped.length > 0 ? `, dropped ${dropped.join(' ')}` : ''}\n`,
  );
  if (count !== Infinity && seen < count) {
    io.stderr.write(`dump: received ${seen} of ${count} frames\n`);
    return EXIT_INCOMPLETE;
  }
  return EXIT_OK;
}
