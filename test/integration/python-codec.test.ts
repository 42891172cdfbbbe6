/**
 * Differential tests of the codec against the real python-can (Debian's python3-can 4.1):
 * python-can's own pack_message / unpack_message(check=True) are the oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDatagram } from '../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../src/protocol/encode-frame.js';
import { validFrame } from '../support/frame-arbitrary.js';
import { MALFORMED } from '../support/malformed-datagrams.js';
import { runPythonJson, skipWithoutPythonCan } from '../support/python-can.js';
import { frameFromJson, frameToJson } from '../support/frame-json.js';
import type { FrameJson } from '../support/frame-json.js';

const ORACLE = 'codec_oracle.py';
const skip = skipWithoutPythonCan();

interface Generated {
  messages: { fields: FrameJson; datagram: string }[];
}

describe.skipIf(skip)('codec vs python-can', () => {
  it('decodes 600 python-can datagrams to the same fields and re-encodes the same bytes', () => {
    const { messages } = runPythonJson<Generated>(ORACLE, {
      op: 'generate',
      count: 600,
      seed: 2026,
    });
    expect(messages).toHaveLength(600);
    for (const { fields, datagram } of messages) {
      const res = decodeDatagram(Buffer.from(datagram, 'hex'));
      expect(res).toEqual({ ok: true, frame: frameFromJson(fields) });
      if (res.ok) expect(encodeFrame(res.frame).toString('hex')).toBe(datagram);
    }
  });

  it('encodes 600 generated frames to the bytes python-can packs, which python-can unpacks to the same fields', () => {
    const frames = fc.sample(validFrame, { numRuns: 600, seed: 7 });
    const ours = frames.map((f) => encodeFrame(f).toString('hex'));
    const packed = runPythonJson<{ datagrams: string[] }>(ORACLE, {
      op: 'pack',
      messages: frames.map(frameToJson),
    });
    expect(packed.datagrams).toEqual(ours);
    const unpacked = runPythonJson<{ results: (FrameJson | { error: string })[] }>(ORACLE, {
      op: 'unpack',
      datagrams: ours,
    });
    // The python receiver replaces the timestamp with its receive time (1.0 in the oracle).
    expect(unpacked.results).toEqual(frames.map((f) => frameToJson({ ...f, timestamp: 1 })));
  });

  it('rejects every malformed datagram that python-can rejects, and no other', () => {
    const { results } = runPythonJson<{ results: (FrameJson | { error: string })[] }>(ORACLE, {
      op: 'unpack',
      datagrams: MALFORMED.map((c) => Buffer.from(c.datagram).toString('hex')),
    });
    const pythonVerdicts = results.map((r, i) => [
      MALFORMED[i]?.name,
      'error' in r ? 'rejects' : 'accepts',
    ]);
    const expected = MALFORMED.map((c) => [c.name, c.pythonAccepts ? 'accepts' : 'rejects']);
    expect(pythonVerdicts).toEqual(expected);
    for (const c of MALFORMED)
      expect(decodeDatagram(c.datagram)).toEqual({ ok: false, reason: c.reason });
  });
});
