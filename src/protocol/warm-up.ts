/**
 * Runs the codec's hot paths on made-up frames before any traffic, so V8 has compiled them (and
 * the decoder its per-layout checks, decode-canonical.ts) by the time the first real frames
 * arrive: under emulation the first seconds of traffic otherwise run interpreted and a backlog
 * builds up (issue 9 §4: the worst latencies of a run fell in its first seconds).
 * Pure: no sockets; the encoder's template cache is left for `channel`.
 */
import type { CanChannel } from '../frame.js';
import { warmUpFrames } from '../warm-up-frames.js';
import { decodeDatagram } from './decode-datagram.js';
import { encodeFrameInto } from './encode-frame.js';
import { MAX_DATAGRAM_BYTES } from './wire-keys.js';

/** Encodes and decodes each common frame shape `rounds` times; returns the frames decoded. */
export function warmUpCodec(channel: CanChannel, rounds = 1500): number {
  const shapes = warmUpFrames(channel);
  const buf = new Uint8Array(MAX_DATAGRAM_BYTES);
  let decoded = 0;
  for (let i = 0; i < rounds; i++) {
    for (const frame of shapes) {
      frame.timestamp = 1_700_000_000 + i / 1000;
      const end = encodeFrameInto(frame, buf, 0);
      if (decodeDatagram(buf.subarray(0, end)).ok) decoded++;
    }
  }
  return decoded;
}
