import { describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { makeFrame } from '../../../src/frame.js';
import { decodeDatagram, isDecodeFault } from '../../../src/protocol/decode-datagram.js';
import { encodeFrame } from '../../../src/protocol/encode-frame.js';
import { base, datagram, MALFORMED } from '../../support/malformed-datagrams.js';

function ok(buf: Uint8Array, receiveTimestamp?: number) {
  const res = decodeDatagram(buf, receiveTimestamp);
  if (!res.ok) throw new Error(`expected a frame, got ${res.reason}`);
  return res.frame;
}

describe('decodeDatagram tolerance (what python-can accepts)', () => {
  it('accepts any key order', () => {
    const reversed = Object.fromEntries(Object.entries(base).reverse());
    expect(ok(datagram(reversed))).toEqual(ok(datagram(base)));
  });

  it('accepts a map16 header', () => {
    const fix = datagram(base);
    const map16 = Buffer.concat([Buffer.from([0xde, 0x00, 0x0b]), fix.subarray(1)]);
    expect(ok(map16)).toEqual(ok(fix));
  });

  it.each([
    ['int', 1700000000, 1700000000],
    ['negative int', -3, -3],
  ])('accepts an %s timestamp', (_name, ts, expected) => {
    expect(ok(datagram({ ...base, timestamp: ts })).timestamp).toBe(expected);
  });

  it('accepts a float32 timestamp', () => {
    const buf = datagram({ ...base, timestamp: 0 });
    const at = buf.indexOf(Buffer.from('timestamp')) + 9;
    const f32 = Buffer.concat([
      buf.subarray(0, at),
      Buffer.from('ca3fc00000', 'hex'),
      buf.subarray(at + 1),
    ]);
    expect(ok(f32).timestamp).toBe(1.5);
  });

  it('replaces the timestamp with the receive time, as python-can does', () => {
    expect(ok(datagram({ ...base, timestamp: -7 }), 42.5).timestamp).toBe(42.5);
  });

  it('takes python-can defaults for missing keys (is_extended_id true, dlc = len(data))', () => {
    const frame = ok(datagram({ arbitration_id: 0x1abcdef, data: Uint8Array.from([9, 8, 7]) }));
    expect(frame).toEqual(
      makeFrame({
        arbitrationId: 0x1abcdef,
        isExtendedId: true,
        dlc: 3,
        data: Uint8Array.from([9, 8, 7]),
      }),
    );
  });

  it('decodes an empty map to python-can default message', () => {
    expect(ok(Buffer.from([0x80]))).toEqual(makeFrame());
  });

  it('accepts is_rx, a keyword python-can Message takes', () => {
    expect(ok(datagram({ ...base, is_rx: true })).arbitrationId).toBe(0x123);
  });

  it('accepts data as an array of byte ints, as bytearray(list) does', () => {
    expect(ok(datagram({ ...base, data: [1, 2] })).data).toEqual(Uint8Array.from([1, 2]));
  });

  it('accepts nil data and nil dlc', () => {
    expect(ok(datagram({ ...base, data: null, dlc: null }))).toMatchObject({
      dlc: 0,
      data: new Uint8Array(0),
    });
  });

  it('drops the data of a remote frame whatever it is, as Message.__init__ does', () => {
    const frame = ok(datagram({ ...base, is_remote_frame: true, data: 'junk', dlc: 5 }));
    expect(frame).toMatchObject({ isRemoteFrame: true, dlc: 5, data: new Uint8Array(0) });
  });

  it('takes the last of duplicate keys, as a python dict does', () => {
    const buf = Buffer.concat([
      Buffer.from([0x82]),
      pack('dlc').subarray(0),
      Buffer.from([0x05]),
      pack('dlc'),
      Buffer.from([0x00]),
    ]);
    expect(ok(buf).dlc).toBe(0);
  });

  it.each([[0], [1], [-4], [1.5], ['vcan0'], [null]])('keeps channel %j as sent', (channel) => {
    expect(ok(datagram({ ...base, channel })).channel).toBe(channel);
  });

  it.each([
    ['positive fixint', '05', 5],
    ['uint8', 'cc80', 128],
    ['uint16', 'cd0123', 0x123],
    ['uint32', 'ce1fffffff', 0x1fffffff],
    ['uint64', 'cf000000001fffffff', 0x1fffffff],
    ['int8', 'd07f', 127],
    ['int16', 'd107ff', 0x7ff],
    ['int32', 'd200000100', 256],
    ['int64', 'd3000000000000002a', 42],
  ])('reads an id written as %s', (_name, hex, id) => {
    const buf = Buffer.concat([
      Buffer.from([0x81, 0xae]),
      Buffer.from('arbitration_id'),
      Buffer.from(hex, 'hex'),
    ]);
    expect(ok(buf).arbitrationId).toBe(id);
  });

  it.each([
    ['negative fixint', 'ff'],
    ['int8', 'd0ff'],
    ['int16', 'd1ffff'],
    ['int32', 'd2ffffffff'],
    ['int64', 'd3ffffffffffffffff'],
  ])('reads -1 written as %s (and rejects it as an id)', (_name, hex) => {
    const buf = Buffer.concat([
      Buffer.from([0x81, 0xae]),
      Buffer.from('arbitration_id'),
      Buffer.from(hex, 'hex'),
    ]);
    expect(decodeDatagram(buf)).toEqual({ ok: false, reason: 'id_negative' });
  });

  it('rejects a uint64 id past 2^53 as too large', () => {
    const buf = Buffer.concat([
      Buffer.from([0x81, 0xae]),
      Buffer.from('arbitration_id'),
      Buffer.from('cfffffffffffffffff', 'hex'),
    ]);
    expect(decodeDatagram(buf)).toEqual({ ok: false, reason: 'ext_id_too_large' });
  });

  it('returns a copy of data that does not alias the datagram', () => {
    const buf = encodeFrame(makeFrame({ data: Uint8Array.from([5, 6]) }));
    const frame = ok(buf);
    buf.fill(0);
    expect(Array.from(frame.data)).toEqual([5, 6]);
  });
});

describe('decodeDatagram strictness (what python-can rejects)', () => {
  it.each(MALFORMED.map((c) => [c.name, c.datagram, c.reason] as const))(
    'drops %s',
    (_name, buf, reason) => {
      expect(decodeDatagram(buf)).toEqual({ ok: false, reason });
    },
  );

  it.each([
    ['truncated', true],
    ['unknown_key', true],
    ['std_id_too_large', false],
    ['dlc_data_mismatch', false],
  ] as const)('classifies %s as undecodable: %s', (reason, undecodable) => {
    expect(isDecodeFault(reason)).toBe(undecodable);
  });

  it('never throws on any prefix of a valid datagram', () => {
    const buf = encodeFrame(makeFrame({ isFd: true, data: new Uint8Array(64), channel: 'x' }));
    for (let n = 0; n < buf.length; n++) {
      expect(decodeDatagram(buf.subarray(0, n)).ok).toBe(false);
    }
  });
});
