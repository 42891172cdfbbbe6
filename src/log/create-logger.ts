/**
 * The daemon's one root logger: pino, JSON lines to stdout (journald and `docker logs` read them).
 */
import pino from 'pino';
import type { LogLevel } from '../config/formats.js';

export type Logger = pino.Logger;

export interface CreateLoggerOptions {
  /** The `log.level` config key. */
  level: LogLevel;
  /** Where the JSON lines go; default: stdout, written synchronously so nothing is lost at exit. */
  destination?: pino.DestinationStream;
}

/**
 * Creates the root logger. Convention: each component gets `logger.child({ component: 'bridge' })`
 * through its constructor; messages are constant lowercase text, data goes in fields (`iface`,
 * `group`, `port`, `canId`, `reason`, `err`); per-frame logs only at debug or trace.
 * Lines carry `level` as its name ("info"), `time` as ISO 8601 and `pid`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
