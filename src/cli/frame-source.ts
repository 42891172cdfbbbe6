/**
 * Where `send` takes its frames from: the command line (each FRAME argument) or, for `-`, stdin
 * one line at a time, as canplayer reads a log. Each item says where it came from, for messages.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface SourceLine {
  /** `line 3` (stdin) or `FRAME 2` (argument), for messages. */
  where: string;
  text: string;
}

/** The FRAME arguments as lines. */
export function* argumentLines(frames: readonly string[]): Generator<SourceLine> {
  for (const [i, text] of frames.entries()) yield { where: `FRAME ${i + 1}`, text };
}

/** The lines of a stream (stdin), numbered from 1; `\r\n` endings are fine. */
export async function* streamLines(input: Readable): AsyncGenerator<SourceLine> {
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    yield { where: `line ${++n}`, text };
  }
}
