import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineAndColumn } from '../../../src/config/json-syntax-error.js';

/** JSON.parse's verdict: null when it accepts `text`, else its message. */
function v8(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Text made of JSON's own characters, so that most of it is nearly valid. */
const jsonish = fc
  .array(
    fc.constantFrom(
      ...'{}[]:,"\\ \t\n\r0123456789-+.eEtrufalsn'.split(''),
      'true',
      'null',
      '"a"',
      '\\u00e9',
      '\u0001',
      "'",
      '/',
      'é',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

/** Valid documents with a few characters deleted, inserted or replaced. */
const mutatedJson = fc
  .tuple(
    fc.jsonValue({ maxDepth: 3 }),
    fc.boolean(),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', ' ', 'x', '\n'))),
  )
  .map(([doc, pretty, edits]) => {
    let s = JSON.stringify(doc, null, pretty ? 2 : undefined);
    for (const [at, insert] of edits.slice(0, 3)) {
      const i = at % (s.length + 1);
      s = insert === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + insert + s.slice(i);
    }
    return s;
  });

describe('findJsonSyntaxError', () => {
  it.each([
    ['{\n "a": x\n}', 2, 7, '"x"', 'a value', undefined],
    ['{"a": tru}', 1, 10, '"}"', '"e" to complete true', undefined],
    ['[1,]', 1, 4, '"]"', 'a value', 'JSON has no comma before "]"'],
    ['{"can": {},}', 1, 12, '"}"', 'a key in double quotes', 'JSON has no comma before "}"'],
    ["{'a': 1}", 1, 2, '"\'"', 'a key in double quotes or "}"', 'JSON strings take double quotes'],
    ['// c\n{}', 1, 1, '"/"', 'a value', 'JSON has no comments'],
    ['{"a": 1', 1, 8, 'the end of the file', '"," or "}"', undefined],
    ['{"a": 1}}', 1, 9, '"}"', 'the end of the file (one JSON value only)', undefined],
    [
      '{"a":\n"x\ny"}',
      2,
      3,
      '"\\n"',
      'a character allowed in a string',
      'control characters must be escaped, e.g. \\n',
    ],
    ['{"a": NaN}', 1, 7, '"N"', 'a value', undefined],
    ['{"a" 1}', 1, 6, '"1"', '":"', undefined],
    ['{"é": \u2028}', 1, 7, '"\\u2028"', 'a value', undefined],
    ['\r\n\r\n  ]', 3, 3, '"]"', 'a value', undefined],
  ])(
    '%j: line %i column %i, found %s, expected %s',
    (text, line, column, found, expected, hint) => {
      expect(v8(text)).not.toBeNull();
      const e = findJsonSyntaxError(text);
      expect(e).toMatchObject({ line, column, found, expected });
      expect(e?.hint).toBe(hint);
    },
  );

  it('counts columns in characters and takes CR, LF and CRLF as line ends', () => {
    expect(lineAndColumn('ab\r\ncd\ref\ngh', 11)).toEqual({ line: 4, column: 2 });
    expect(lineAndColumn('"😀😀" x', 6)).toEqual({ line: 1, column: 5 });
  });

  it('handles nesting 100,000 deep without recursion', () => {
    const deep = '['.repeat(100_000);
    expect(findJsonSyntaxError(deep)).toMatchObject({
      offset: 100_000,
      expected: 'a value or "]"',
    });
    expect(findJsonSyntaxError(`${deep}${']'.repeat(100_000)}`)).toBeNull();
  });

  it.each([
    ['near-JSON text', jsonish],
    ['mutated documents', mutatedJson],
  ])(
    'agrees with JSON.parse on %s: valid or not, and the position when V8 gives one',
    (_what, texts) => {
      let invalid = 0;
      fc.assert(
        fc.property(texts, (text) => {
          const message = v8(text);
          const e = findJsonSyntaxError(text);
          if (message === null) {
            expect(e).toBeNull();
            return;
          }
          invalid++;
          expect(e).not.toBeNull();
          const at = /at position (\d+)/.exec(message);
          if (at !== null) expect(e?.offset).toBe(Number(at[1]));
          expect(e?.found).not.toMatch(/[\n\r]/);
        }),
        { numRuns: 3000 },
      );
      expect(invalid).toBeGreaterThan(100);
    },
  );
});
