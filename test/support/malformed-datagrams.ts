/**
 * Datagrams a python-can receiver must not accept (or that we refuse more strictly than python-can),
 * with the drop reason our decoder gives. Shared by the unit tests and the differential test
 * against the real python-can.
 */
import { pack } from 'msgpackr';
import type { DecodeDropReason } from '../../src/protocol/decode-datagram.js';

export interface MalformedCase {
  name: string;
  datagram: Uint8Array;
  reason: DecodeDropReason;
  /**
   * Set where python-can 4.1 accepts what we refuse: it coerces the value (bool(1), bytearray(2),
   * a float id) or, for the timestamp, replaces it before checking.
   */
  pythonAccepts?: true;
}

/** A python-can map as msgpackr writes it (bin for Uint8Array, keys in insertion order). */
export function datagram(fields: Record<string, unknown>): Buffer {
  return pack(new Map(Object.entries(fields)));
}

export const base = {
  timestamp: 1.5,
  arbitration_id: 0x123,
  is_extended_id: false,
  is_remote_frame: false,
  is_error_frame: false,
  channel: 'can0',
  dlc: 2,
  data: Uint8Array.from([1, 2]),
  is_fd: false,
  bitrate_switch: false,
  error_state_indicator: false,
};

export const MALFORMED: MalformedCase[] = [
  { name: 'empty datagram', datagram: new Uint8Array(0), reason: 'truncated' },
  { name: 'an array', datagram: pack([1, 2, 3]), reason: 'not_a_map' },
  { name: 'an int', datagram: pack(5), reason: 'not_a_map' },
  { name: 'a string', datagram: pack('hello'), reason: 'not_a_map' },
  { name: 'truncated map', datagram: datagram(base).subarray(0, 60), reason: 'truncated' },
  { name: 'truncated header', datagram: Buffer.from([0xde, 0x00]), reason: 'truncated' },
  {
    name: 'trailing byte',
    datagram: Buffer.concat([datagram(base), Buffer.from([0])]),
    reason: 'trailing_bytes',
  },
  {
    name: 'two maps',
    datagram: Buffer.concat([datagram(base), datagram(base)]),
    reason: 'trailing_bytes',
  },
  { name: 'over 4096 bytes', datagram: new Uint8Array(4097), reason: 'too_large' },
  { name: 'unknown key', datagram: datagram({ ...base, foo: 1 }), reason: 'unknown_key' },
  {
    name: 'the check keyword',
    datagram: datagram({ ...base, check: false }),
    reason: 'unknown_key',
  },
  { name: 'an int key', datagram: Buffer.from([0x81, 0x01, 0x02]), reason: 'key_not_string' },
  {
    name: 'a bin key',
    datagram: Buffer.from([0x81, 0xc4, 0x01, 0x61, 0x02]),
    reason: 'key_not_string',
  },
  {
    name: 'invalid utf-8 key',
    datagram: Buffer.from([0x81, 0xa2, 0xff, 0xfe, 0x02]),
    reason: 'invalid_utf8',
  },
  {
    name: 'invalid utf-8 channel',
    datagram: Buffer.from([0x81, 0xa7, ...Buffer.from('channel'), 0xa1, 0xff]),
    reason: 'invalid_utf8',
  },
  {
    name: 'reserved byte 0xc1',
    datagram: Buffer.from([0x81, 0xa3, ...Buffer.from('dlc'), 0xc1]),
    reason: 'malformed',
  },
  {
    name: 'string id',
    datagram: datagram({ ...base, arbitration_id: '291' }),
    reason: 'wrong_type',
  },
  {
    pythonAccepts: true,
    name: 'float id',
    datagram: datagram({ ...base, arbitration_id: 1.5 }),
    reason: 'wrong_type',
  },
  {
    pythonAccepts: true,
    name: 'int flag',
    datagram: datagram({ ...base, is_fd: 1 }),
    reason: 'wrong_type',
  },
  { name: 'string data', datagram: datagram({ ...base, data: 'ab' }), reason: 'wrong_type' },
  {
    pythonAccepts: true,
    name: 'int data',
    datagram: datagram({ ...base, data: 2 }),
    reason: 'wrong_type',
  },
  {
    name: 'data array with 256',
    datagram: datagram({ ...base, data: [1, 256] }),
    reason: 'wrong_type',
  },
  {
    pythonAccepts: true,
    name: 'map channel',
    datagram: datagram({ ...base, channel: { a: 1 } }),
    reason: 'wrong_type',
  },
  {
    pythonAccepts: true,
    name: 'string timestamp',
    datagram: datagram({ ...base, timestamp: 'now' }),
    reason: 'wrong_type',
  },
  {
    name: 'std id 0x800',
    datagram: datagram({ ...base, arbitration_id: 0x800 }),
    reason: 'std_id_too_large',
  },
  {
    name: 'ext id 2^29',
    datagram: datagram({ ...base, is_extended_id: true, arbitration_id: 0x20000000 }),
    reason: 'ext_id_too_large',
  },
  {
    name: 'negative id',
    datagram: datagram({ ...base, arbitration_id: -1 }),
    reason: 'id_negative',
  },
  {
    name: 'classic dlc 9',
    datagram: datagram({ ...base, dlc: 9, data: new Uint8Array(9) }),
    reason: 'dlc_too_large',
  },
  {
    name: 'FD dlc 65',
    datagram: datagram({ ...base, is_fd: true, dlc: 65, data: new Uint8Array(65) }),
    reason: 'dlc_too_large',
  },
  {
    name: 'dlc != len(data)',
    datagram: datagram({ ...base, dlc: 3 }),
    reason: 'dlc_data_mismatch',
  },
  { name: 'negative dlc', datagram: datagram({ ...base, dlc: -1 }), reason: 'dlc_invalid' },
  {
    name: 'BRS without FD',
    datagram: datagram({ ...base, bitrate_switch: true }),
    reason: 'brs_without_fd',
  },
  {
    name: 'ESI without FD',
    datagram: datagram({ ...base, error_state_indicator: true }),
    reason: 'esi_without_fd',
  },
  {
    name: 'remote FD',
    datagram: datagram({ ...base, is_remote_frame: true, is_fd: true }),
    reason: 'remote_fd',
  },
  {
    name: 'remote error',
    datagram: datagram({ ...base, is_remote_frame: true, is_error_frame: true }),
    reason: 'remote_and_error',
  },
  {
    name: 'remote dlc 9',
    datagram: datagram({ ...base, is_remote_frame: true, dlc: 9 }),
    reason: 'dlc_too_large',
  },
  {
    pythonAccepts: true,
    name: 'deep nesting',
    datagram: Buffer.from([
      0x81,
      0xa7,
      ...Buffer.from('channel'),
      ...new Array<number>(40).fill(0x91),
      0x00,
    ]),
    reason: 'malformed',
  },
  {
    name: 'huge array count',
    datagram: Buffer.from([0x81, 0xa4, ...Buffer.from('data'), 0xdd, 0xff, 0xff, 0xff, 0xff]),
    reason: 'truncated',
  },
];
