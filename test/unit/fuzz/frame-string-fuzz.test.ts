// Mutation fuzzing of the `send` frame-string parser (src/frame-string.ts): a mutated cansend
// string either parses to a frame python-can accepts (which encodes, and formats back to a string
// that parses to the same frame) or throws ERR_FRAME_SYNTAX, nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/errors.js';
import { formatFrameString, parseFrameString } from '../../../src/frame-string.js';
import type { CanFrame } from '../../../src/frame.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { validFrame } from '../../support/frame-arbitrary.js';
import { expectAcceptableFrame, fuzzParams, readCorpus } from './fuzz-support.js';

/** The characters cansend syntax is made of, plus a few that must be refused. */
const ALPHABET = '0123456789abcdefABCDEF#.Rr-xX \t\u00e9\u0660\uff10\ud83d';

type Edit =
  | { kind: 'insert'; at: number; char: string }
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; times: number };

const char = fc.constantFrom(...ALPHABET);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert'), at: fc.nat(), char }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace'), at: fc.nat(), char }),
  fc.record({ kind: fc.constant('swap'), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('repeat'), at: fc.nat(), times: fc.integer({ min: 2, max: 80 }) }),
);

function applyEdits(text: string, edits: readonly Edit[]): string {
  let s = [...text];
  for (const e of edits) {
    const n = s.length;
    const at = e.at % (n + 1);
    switch (e.kind) {
      case 'insert':
        s.splice(at, 0, e.char);
        break;
      case 'delete':
        s.splice(at, 1);
        break;
      case 'replace':
        if (n > 0) s[at % n] = e.char;
        break;
      case 'swap':
        if (n > 0) [s[at % n], s[e.with % n]] = [s[e.with % n] ?? '', s[at % n] ?? ''];
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
      case 'repeat':
        if (n > 0) s.splice(at % n, 1, ...Array<string>(e.times).fill(s[at % n] ?? ''));
        break;
    }
  }
  return s.join('');
}

/** Parses; checks a parsed frame all the way to the wire and back to a string. */
function checkParse(text: string): CanFrame | string {
  let frame: CanFrame;
  try {
    frame = parseFrameString(text, 'fuzz');
  } catch (err) {
    expect(errorCode(err)).toBe('ERR_FRAME_SYNTAX');
    expect((err as Error).message).not.toContain('\n');
    return 'ERR_FRAME_SYNTAX';
  }
  expectAcceptableFrame(frame);
  const decoded = decodeDatagram(encodeFrame(frame));
  expect(decoded).toEqual({ ok: true, frame });
  expect(parseFrameString(formatFrameString(frame), 'fuzz')).toEqual(frame);
  return frame;
}

const frameStrings = validFrame
  .filter((f) => !(f.isErrorFrame && f.isExtendedId))
  .map((f) => formatFrameString(f));

describe('fuzzing parseFrameString', () => {
  it('parses a mutated cansend string to a valid frame or throws ERR_FRAME_SYNTAX', () => {
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(frameStrings, fc.array(edit, { minLength: 1, maxLength: 4 }), (text, edits) => {
        if (typeof checkParse(applyEdits(text, edits)) === 'string') refused++;
        else parsed++;
      }),
      fuzzParams(1200),
    );
    expect(parsed).toBeGreaterThan(60);
    expect(refused).toBeGreaterThan(60);
  });

  it('refuses or parses strings made only of cansend characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 150 }), (text) => {
        checkParse(text);
      }),
      fuzzParams(3000),
    );
  });
});

interface FrameStringCase {
  text: string;
  /** 'ok' (parses) or 'ERR_FRAME_SYNTAX'. */
  expect: string;
  /** For 'ok': the string candump would print for the parsed frame. */
  formatted?: string;
}

describe('parseFrameString fuzz corpus', () => {
  const cases = readCorpus<FrameStringCase>('frame-strings.json');
  it('has cases', () => expect(cases.length).toBeGreaterThan(10));
  it.each(cases.map((c) => [JSON.stringify(c.text), c] as const))('%s', (_name, c) => {
    const result = checkParse(c.text);
    if (typeof result === 'string') expect(result).toBe(c.expect);
    else {
      expect('ok').toBe(c.expect);
      expect(formatFrameString(result)).toBe(c.formatted);
    }
  });
});
