import { describe, expect, it } from 'vitest';
import { makeFrame } from '../../../src/frame.js';
import { decodeDatagram } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { warmUpCodec } from '../../../src/protocol/warm-up.js';

describe('warmUpCodec', () => {
  it('decodes every frame it encodes and leaves the codec giving the same bytes as before', () => {
    const frame = makeFrame({
      arbitrationId: 0x42,
      isExtendedId: false,
      data: Uint8Array.of(1),
      channel: 'x',
    });
    const before = encodeFrame(frame);
    expect(warmUpCodec('me', 10)).toBe(5 * 10);
    expect(encodeFrame(frame)).toEqual(before);
    expect(decodeDatagram(before)).toMatchObject({ ok: true, frame: { arbitrationId: 0x42 } });
  });
});
