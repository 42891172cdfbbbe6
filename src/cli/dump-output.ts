/**
 * Where and how `dump` writes each frame: `--format log` (candump -L), `human` (candump's default
 * columns), `--json`; `--log FILE` (candump -l: the log format into FILE, nothing on stdout).
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { CanFrame } from '../frame.js';
import type { Writable } from './cli-io.js';
import { DumpTimestamp } from './dump-timestamp.js';
import type { TimestampMode } from './dump-timestamp.js';
import {
  channelColumn,
  formatCandumpLine,
  formatJsonLine,
  formatLongFrame,
} from './format-dump-line.js';

export type DumpFormat = 'log' | 'human' | 'json';

const pad = (n: number) => String(n).padStart(2, '0');

/** candump -l's default file name, `candump-2023-11-14_221320.log` (local time). */
export function defaultLogName(seconds: number): string {
  const d = new Date(seconds * 1000);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `candump-${date}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.log`;
}

/** Formats frames one line each, keeping what candump keeps between lines. */
export class DumpFormatter {
  readonly #format: DumpFormat;
  readonly #timestamp: DumpTimestamp | null;
  /** candump CANLIB_VIEW_INDENT_SFF: set once a 29-bit frame was printed. */
  #indentSff = false;
  /** candump `max_devname_len`: the widest interface (channel) column so far. */
  #devWidth = 0;

  /**
   * `mode`: candump's -t. The log format takes `a` (its default) or `z`, as candump does
   * (candump.c `logtimestamp`); `human` prints no time without it.
   */
  constructor(format: DumpFormat, mode: TimestampMode | null) {
    this.#format = format;
    const logMode = mode === 'z' ? 'z' : 'a';
    this.#timestamp =
      format === 'log'
        ? new DumpTimestamp(logMode)
        : mode === null
          ? null
          : new DumpTimestamp(mode);
  }

  line(frame: CanFrame): string {
    if (this.#format === 'json') return formatJsonLine(frame);
    const ts = this.#timestamp?.format(frame.timestamp) ?? '';
    if (this.#format === 'log') return formatCandumpLine(frame, ts);
    if (frame.isExtendedId && !frame.isErrorFrame) this.#indentSff = true;
    const dev = channelColumn(frame);
    this.#devWidth = Math.max(this.#devWidth, dev.length);
    // candump.c: " " [timestamp] " " %*s(devname) "  " long frame.
    return ` ${ts} ${dev.padStart(this.#devWidth)}  ${formatLongFrame(frame, this.#indentSff)}`;
  }
}

/** A log file opened for `--log`; `close()` flushes it. */
export class DumpLogFile implements Writable {
  readonly #stream: WriteStream;
  readonly path: string;
  #error: Error | null = null;

  constructor(path: string) {
    this.path = path;
    this.#stream = createWriteStream(path, { flags: 'w' });
    this.#stream.on('error', (err) => (this.#error = err));
  }

  /** Resolves once the file is open; rejects (e.g. ENOENT, EACCES) when it cannot be. */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.once('ready', () => resolve());
      this.#stream.once('error', reject);
    });
  }

  write(chunk: string): boolean {
    return this.#stream.write(chunk);
  }

  /** Flushes and closes; rejects with the first write error. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.end(() => (this.#error === null ? resolve() : reject(this.#error)));
    });
  }
}
