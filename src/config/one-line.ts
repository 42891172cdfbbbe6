/**
 * Text from users (values, keys, file names) inside error messages: always on one line, with
 * nothing that a terminal or a log reader would act on.
 */

/**
 * Characters escaped as `\uXXXX` besides what JSON.stringify escapes: C0/C1 controls and DEL
 * (ESC starts terminal sequences; 0x85 and U+2028/U+2029 end lines for some readers, e.g.
 * Python's str.splitlines), format characters (BOM, zero-width, bidi overrides) and lone
 * surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escapeUnits(chars: string): string {
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    out += `\\u${chars.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** `text` with every unsafe character escaped (`\n` as `\u000a`); for free text in messages. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, escapeUnits);
}

/** `text` as a JSON string literal on one line (still valid JSON: only `\u` escapes are added). */
export function quote(text: string): string {
  return oneLine(JSON.stringify(text));
}

/** A name (key path, file name) as is when it is plain, else quoted: unambiguous and one line. */
export function showName(name: string): string {
  return name === '' || /[\s"\\\p{C}\p{Zl}\p{Zp}]/u.test(name) ? quote(name) : name;
}
