/**
 * The daemon's one root logger: pino, JSON lines to stdout (journald and `docker logs` read them).
 */
import pino from 'pino';
import type { LogLevel } from '../config/formats.js';
import { JOURNAL_PRIORITY, prefixLines } from '../systemd/journal-stream.js';

export type Logger = pino.Logger;

export interface CreateLoggerOptions {
  /** The `log.level` config key. */
  level: LogLevel;
  /** Where the JSON lines go; default: stdout, written synchronously so nothing is lost at exit. */
  destination?: pino.DestinationStream;
  /**
   * The destination is the journal (src/systemd/journal-stream.ts, isJournalStream): each line
   * starts with its sd-daemon(3) priority ("<4>{...}" for warn), so `journalctl -p warning`
   * selects by level; journald strips the prefix. Default false: plain JSON lines.
   */
  journal?: boolean;
}

/** pino levels from the lowest up, with their journal priority (pino.multistream needs them sorted). */
const LEVELS = ['trace', 'info', 'warn', 'error', 'fatal'] as const;

/**
 * Creates the root logger. Convention: each component gets `logger.child({ component: 'bridge' })`
 * through its constructor; messages are constant lowercase text, data goes in fields (`iface`,
 * `group`, `port`, `canId`, `reason`, `err`); per-frame logs only at debug or trace.
 * Lines carry `level` as its name ("info"), `time` as ISO 8601 and `pid`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  // multistream with dedupe writes each line to the one stream with the highest level at or
  // below the line's: debug goes to the trace stream (both SD_DEBUG).
  const stream =
    options.journal === true
      ? pino.multistream(
          LEVELS.map((level) => ({
            level,
            stream: prefixLines(destination, JOURNAL_PRIORITY[level]),
          })),
          { dedupe: true },
        )
      : destination;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
