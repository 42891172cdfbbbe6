/**
 * Reading the one JSON config file: the bytes, UTF-8 and JSON checked, each fault said in one line
 * with where it is and what to do.
 */
import { readFileSync } from 'node:fs';
import { findJsonSyntaxError } from './json-syntax-error.js';
import { oneLine, showName } from './one-line.js';

/** The file's object, or the one-line reason it cannot be used (and the error behind it). */
export type ConfigFileResult =
  { ok: true; value: Record<string, unknown> } | { ok: false; message: string; cause?: unknown };

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Why JSON.parse refused `text`, on one line with the place. V8's own message has no position for
 * an unexpected token and quotes the text around it, line breaks included.
 */
function jsonProblem(text: string, err: unknown): string {
  if (/^[ \t\n\r]*$/.test(text)) return 'the file is empty ({} means all defaults)';
  const e = findJsonSyntaxError(text);
  // Not expected: the scanner follows RFC 8259 as JSON.parse does.
  if (e === null) return oneLine(err instanceof Error ? err.message : String(err));
  const hint = e.hint === undefined ? '' : `: ${e.hint}`;
  return `expected ${e.expected} but found ${e.found} (line ${e.line} column ${e.column})${hint}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * EACCES with what to do about it: the systemd unit runs as a DynamicUser= that owns no file, so a
 * config installed 0600 (or 0640 root:root) is unreadable to it (issue 11, seen under systemd 252).
 */
function unreadableHint(name: string): string {
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `uid ${uid}`;
  return (
    `permission denied for ${who}: make it readable by the daemon's user, ` +
    `e.g. chmod 0644 ${name}, or give it a group (chmod 0640) named in the unit's ` +
    `SupplementaryGroups= (systemd's DynamicUser= owns no file)`
  );
}

/**
 * The JSON object in `file`, or why it cannot be had, in one line naming the file (the caller
 * throws it as a ConfigError).
 */
export function readConfigFile(file: string): ConfigFileResult {
  const name = showName(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? unreadableHint(name)
          : code === 'EISDIR'
            ? 'it is a directory'
            : oneLine((err as Error).message);
    return { ok: false, message: `cannot read config file ${name}: ${why}`, cause: err };
  }
  const bom = bytes.subarray(0, 2).toString('hex');
  if (bom === 'fffe' || bom === 'feff') {
    return {
      ok: false,
      message: `config file ${name} is not valid JSON: it is UTF-16 (byte order mark ${bom.toUpperCase()}); save it as UTF-8`,
    };
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    // Node would replace bad bytes with U+FFFD silently, and a mangled sender id or filter would
    // then be accepted: refuse, naming where (the first byte the lenient decode does not keep).
    const kept = Buffer.from(bytes.toString('utf8'), 'utf8');
    let at = 0;
    while (at < bytes.length && bytes[at] === kept[at]) at++;
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    return {
      ok: false,
      message: `config file ${name} is not valid UTF-8 (byte ${at}, line ${line}); save it as UTF-8`,
    };
  }
  // A UTF-8 byte order mark (Windows editors write one): RFC 8259 section 8.1 lets parsers ignore
  // it; JSON.parse does not.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      message: `config file ${name} is not valid JSON: ${jsonProblem(text, err)}`,
      cause: err,
    };
  }
  if (!isPlainObject(parsed)) {
    return {
      ok: false,
      message: `config file ${name} must hold a JSON object with config keys, not ${typeName(parsed)}`,
    };
  }
  return { ok: true, value: parsed };
}
