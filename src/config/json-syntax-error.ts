/**
 * Where a JSON text goes wrong, for config file messages. V8's JSON.parse messages give no
 * position for an unexpected token and quote the surrounding text, line breaks included
 * ("Unexpected token 'x', "{\n "a": x\n}" is not valid JSON"), so this scanner re-reads a text
 * JSON.parse refused and names the place: RFC 8259's grammar, iteratively (no recursion, so
 * nesting thousands deep is fine).
 */
import { quote } from './one-line.js';

export interface JsonSyntaxError {
  /** UTF-16 offset of the first character that cannot continue a JSON text (length at the end). */
  readonly offset: number;
  /** 1-based line (LF, CRLF and CR end lines) and column (in Unicode characters). */
  readonly line: number;
  readonly column: number;
  /** What is there, on one line: a quoted character, or "the end of the file". */
  readonly found: string;
  /** What would have been valid there, e.g. 'a value or "]"'. */
  readonly expected: string;
  /** A likely cause, when one is recognisable (single quotes, comments, a trailing comma). */
  readonly hint?: string;
}

const WS = new Set([' ', '\t', '\n', '\r']); // RFC 8259 section 2
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']); // RFC 8259 section 7
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

type Fault = Omit<JsonSyntaxError, 'line' | 'column' | 'found'>;

/** Line and column (1-based, column in code points) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const breaks = before.match(/\r\n|\r|\n/g) ?? [];
  const lastLine = before.slice(Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1);
  return { line: breaks.length + 1, column: [...lastLine].length + 1 };
}

/** The first syntax error of `text`, or null when `text` is one valid JSON value. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  const fault = scan(text);
  if (fault === null) return null;
  const at = text.codePointAt(fault.offset);
  const found = at === undefined ? 'the end of the file' : quote(String.fromCodePoint(at));
  return { ...fault, ...lineAndColumn(text, fault.offset), found };
}

function scan(text: string): Fault | null {
  /** The containers open at `i`. */
  const stack: ('[' | '{')[] = [];
  let i = 0;
  /** Whether the last value read opened a container (its first member or its end comes next). */
  let opened = false;

  const skipWs = (): void => {
    while (i < text.length && WS.has(text.charAt(i))) i++;
  };
  const fail = (expected: string, hint?: string): Fault =>
    hint === undefined ? { offset: i, expected } : { offset: i, expected, hint };
  /** A hint for a character that starts no value or key. */
  const hintAt = (hint?: string): string | undefined =>
    text[i] === "'"
      ? 'JSON strings take double quotes'
      : text[i] === '/'
        ? 'JSON has no comments'
        : hint;

  /** Reads a string at `i` (a '"'), RFC 8259 section 7. */
  const readString = (): Fault | null => {
    i++;
    for (;;) {
      if (i >= text.length) return fail("a closing '\"'");
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return null;
      }
      if (c < ' ') {
        return fail(
          'a character allowed in a string',
          'control characters must be escaped, e.g. \\n',
        );
      }
      i++;
      if (c !== '\\') continue;
      const e = text.charAt(i);
      if (ESCAPES.has(e)) {
        i++;
      } else if (e === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) {
          if (!isHex(text[i])) return fail('a hex digit (\\u takes four)');
        }
      } else {
        return fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u and four hex digits');
      }
    }
  };

  /** Reads a number at `i` (a '-' or a digit), RFC 8259 section 6. */
  const readNumber = (): Fault | null => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (isDigit(text[i])) while (isDigit(text[i])) i++;
    else return fail('a digit');
    if (text[i] === '.') {
      i++;
      if (!isDigit(text[i])) return fail('a digit after the decimal point');
      while (isDigit(text[i])) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!isDigit(text[i])) return fail('a digit in the exponent');
      while (isDigit(text[i])) i++;
    }
    return null;
  };

  /** Reads true, false or null at `i`. */
  const readLiteral = (word: string): Fault | null => {
    for (let k = 0; k < word.length; k++, i++) {
      if (text[i] !== word[k]) return fail(`"${word.slice(k)}" to complete ${word}`);
    }
    return null;
  };

  /** Reads one value at `i`; a '[' or '{' is only opened (pushed, `opened` set). */
  const readValue = (expected: string, hint?: string): Fault | null => {
    opened = false;
    const c = text[i];
    if (c === '[' || c === '{') {
      stack.push(c);
      i++;
      opened = true;
      return null;
    }
    if (c === '"') return readString();
    if (c === 't') return readLiteral('true');
    if (c === 'f') return readLiteral('false');
    if (c === 'n') return readLiteral('null');
    if (c === '-' || isDigit(c)) return readNumber();
    return fail(expected, hintAt(hint));
  };

  /** Reads `"key": value` at `i`. */
  const readMember = (expected: string, hint?: string): Fault | null => {
    opened = false;
    if (text[i] !== '"') return fail(expected, hintAt(hint));
    const bad = readString();
    if (bad !== null) return bad;
    skipWs();
    if (text[i] !== ':') return fail('":"');
    i++;
    skipWs();
    return readValue('a value');
  };

  skipWs();
  let fault = readValue('a value');
  for (;;) {
    if (fault !== null) return fault;
    skipWs();
    const top = stack.at(-1);
    if (top === undefined) {
      return i >= text.length ? null : fail('the end of the file (one JSON value only)');
    }
    const close = top === '[' ? ']' : '}';
    if (text[i] === close) {
      stack.pop();
      i++;
      opened = false;
      continue;
    }
    if (opened) {
      fault =
        top === '[' ? readValue('a value or "]"') : readMember('a key in double quotes or "}"');
      continue;
    }
    if (text[i] !== ',') return fail(`"," or "${close}"`);
    i++;
    skipWs();
    const hint = text[i] === close ? `JSON has no comma before "${close}"` : undefined;
    fault = top === '[' ? readValue('a value', hint) : readMember('a key in double quotes', hint);
  }
}
