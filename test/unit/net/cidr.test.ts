import { describe, expect, it } from 'vitest';
import {
  CidrSyntaxError,
  cidrContains,
  createSourceFilter,
  parseCidr,
} from '../../../src/net/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['192.168.1.0/24', 4, 24, [192, 168, 1, 0]],
    ['192.168.1.77/24', 4, 24, [192, 168, 1, 0]],
    ['10.0.0.1', 4, 32, [10, 0, 0, 1]],
    ['0.0.0.0/0', 4, 0, [0, 0, 0, 0]],
    ['172.16.0.0/12', 4, 12, [172, 16, 0, 0]],
  ])('parses %s', (text, family, prefix, bytes) => {
    const cidr = parseCidr(text);
    expect(cidr).toMatchObject({ text, family, prefix });
    expect([...cidr.bytes]).toEqual(bytes);
  });

  it.each([
    ['fd00::/8', 8, 'fd00'],
    ['2001:db8::1/32', 32, '20010db8'],
    ['::1', 128, '00000000000000000000000000000001'],
    ['::/0', 0, '00000000000000000000000000000000'],
    ['::ffff:192.0.2.1/128', 128, '00000000000000000000ffffc0000201'],
    ['fe80::1:2:3:4/64', 64, 'fe800000000000000000000000000000'],
  ])('parses %s', (text, prefix, hexPrefix) => {
    const cidr = parseCidr(text);
    expect(cidr.family).toBe(6);
    expect(cidr.prefix).toBe(prefix);
    expect(Buffer.from(cidr.bytes).toString('hex').startsWith(hexPrefix)).toBe(true);
  });

  it.each([
    ['', 'not an IPv4 or IPv6 address'],
    ['192.168.1.0/33', 'from 0 to 32'],
    ['fd00::/129', 'from 0 to 128'],
    ['10.0.0.0/', 'prefix length ""'],
    ['10.0.0.0/x', 'prefix length "x"'],
    ['256.0.0.0/8', 'not an IPv4 or IPv6 address'],
    ['example.org/24', 'not an IPv4 or IPv6 address'],
    ['fe80::1%eth0/64', 'not an IPv4 or IPv6 address'],
  ])('rejects %j saying %j', (text, reason) => {
    expect(() => parseCidr(text)).toThrow(CidrSyntaxError);
    expect(() => parseCidr(text)).toThrow(reason);
  });
});

describe('cidrContains', () => {
  it.each([
    ['192.168.1.0/24', '192.168.1.200', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['192.168.1.0/24', '::ffff:192.168.1.9', true],
    ['10.0.0.1', '10.0.0.1', true],
    ['10.0.0.1', '10.0.0.2', false],
    ['0.0.0.0/0', '203.0.113.5', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['192.168.1.0/24', 'not-an-address', false],
  ])('%s contains %s: %s', (text, address, expected) => {
    expect(cidrContains(parseCidr(text), address)).toBe(expected);
  });

  it('allows every source with an empty list, only listed networks otherwise', () => {
    expect(createSourceFilter([])('198.51.100.1')).toBe(true);
    const allowed = createSourceFilter([parseCidr('10.0.0.0/8'), parseCidr('fd00::/8')]);
    expect(allowed('10.1.2.3')).toBe(true);
    expect(allowed('fd00::5')).toBe(true);
    expect(allowed('192.168.0.1')).toBe(false);
  });
});
