/**
 * The text of a msgpack str holding python-can's `channel`, for both decoders (decode-canonical.ts
 * and decode-datagram.ts). The last one is kept by its UTF-8 bytes: a bridge's peers repeat the
 * same few channel names, and TextDecoder costs more than the rest of the datagram.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

// A property of a constant object: cheaper than module-level `let` cells (context + TDZ checks).
const last = { bytes: new Uint8Array(0), text: '' };

/**
 * The UTF-8 text of buf[start..end). Throws (TypeError) on invalid UTF-8, as python's
 * `raw=False` decode does; the caller turns that into its drop reason.
 */
export function channelText(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  const cached = last.bytes;
  if (len === cached.length) {
    let i = 0;
    while (i < len && buf[start + i] === cached[i]) i++;
    if (i === len) return last.text;
  }
  // A copy (Uint8Array#slice, also for a Buffer): the cache must not alias the datagram.
  const bytes = Uint8Array.prototype.slice.call(buf, start, end);
  const text = utf8.decode(bytes);
  last.bytes = bytes;
  last.text = text;
  return text;
}
