/**
 * One line of `send -` input: a frame in cansend syntax (`123#DEADBEEF`), or a candump log line
 * (`(1700000000.123456) can0 123#DEADBEEF`, what `candump -L` / `-l` and our `dump` write), as
 * canplayer reads them (can-utils canplayer.c: `sscanf(buf, "(%llu.%llu) %s %s", ...)`).
 */
import type { CanChannel, CanFrame } from '../frame.js';
import { BridgeError } from '../errors.js';
import { parseFrameString } from '../frame-string.js';

export type FrameLine =
  /** Blank, or a `#` comment. */
  | { kind: 'skip' }
  | {
      kind: 'frame';
      frame: CanFrame;
      /** The log's timestamp (seconds), null for a bare cansend frame. */
      timestamp: number | null;
      /** The log's interface column, null for a bare frame; `-` (our dump's "no channel") is null too. */
      iface: string | null;
    };

/** `(seconds.fraction) iface frame`, then what candump may append: ` R`/` T` (-x), ERRORFRAME. */
const LOG_LINE = /^\((\d+(?:\.\d+)?)\)\s+(\S+)\s+(\S+)(?:\s+(?:[RT]|ERRORFRAME))*$/;

/**
 * Parses one line; the frame's channel is `channel` (the caller maps the interface column).
 * Throws `ERR_FRAME_SYNTAX` (from parseFrameString) or for a malformed log line.
 */
export function parseFrameLine(line: string, channel: CanChannel = null): FrameLine {
  const text = line.trim();
  // A cansend frame never starts with '#', so a leading '#' is a comment.
  if (text === '' || text.startsWith('#')) return { kind: 'skip' };
  if (!text.startsWith('(')) {
    return { kind: 'frame', frame: parseFrameString(text, channel), timestamp: null, iface: null };
  }
  const m = LOG_LINE.exec(text);
  if (m === null) {
    throw new BridgeError(
      'ERR_FRAME_SYNTAX',
      `"${text}" is not a candump log line: expected "(seconds) interface frame", e.g. "(1700000000.123456) can0 123#DEADBEEF"`,
    );
  }
  const iface = m[2] === '-' ? null : (m[2] ?? null);
  return {
    kind: 'frame',
    frame: parseFrameString(m[3] ?? '', channel),
    timestamp: Number(m[1]),
    iface,
  };
}
