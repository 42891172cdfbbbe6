// Property fuzzing of `send -`'s line parser (src/cli/frame-line.ts) against what `dump` writes:
// every log line dump prints reads back as the same frame, interface and time (what `dump | send -`
// and canplayer-style replay rely on); any other line parses or throws ERR_FRAME_SYNTAX in one line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFrameLine } from '../../../src/cli/frame-line.js';
import { formatCandumpLine } from '../../../src/cli/format-dump-line.js';
import { errorCode } from '../../../src/errors.js';
import { formatFrameString } from '../../../src/frame-string.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import { fuzzParams } from './fuzz-support.js';

/** Frames cansend syntax can write (an error frame's id is 11-bit there), with a log time. */
const loggable = fc
  .tuple(
    validFrame.filter((f) => !(f.isErrorFrame && f.isExtendedId)),
    fc.integer({ min: 0, max: 4_000_000_000 * 1e6 }).map((us) => us / 1e6),
    fc.option(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/), { nil: null }),
  )
  .map(([f, timestamp, channel]) => ({ ...f, timestamp, channel }));

describe('fuzzing parseFrameLine', () => {
  it('reads back every log line dump writes: frame, interface and time', () => {
    fc.assert(
      fc.property(loggable, (frame) => {
        const parsed = parseFrameLine(formatCandumpLine(frame));
        if (parsed.kind !== 'frame') throw new Error('skipped a frame line');
        expect(formatFrameString(parsed.frame)).toBe(formatFrameString(frame));
        expect(parsed.iface).toBe(frame.channel === '-' ? null : frame.channel);
        expect(Math.abs((parsed.timestamp ?? NaN) - frame.timestamp)).toBeLessThan(1e-6);
      }),
      fuzzParams(1500),
    );
  });

  it('parses or refuses with ERR_FRAME_SYNTAX, in one line, any line of log characters', () => {
    const unit = fc.constantFrom(...'()0123456789.ABCDEFR#- \tcanx_'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (line) => {
        try {
          parseFrameLine(line);
        } catch (err) {
          expect(errorCode(err)).toBe('ERR_FRAME_SYNTAX');
          expect((err as Error).message).not.toContain('\n');
        }
      }),
      fuzzParams(3000),
    );
  });
});
