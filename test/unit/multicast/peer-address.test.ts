import { describe, expect, it } from 'vitest';
import { parsePeer, PeerSyntaxError } from '../../../src/multicast/peer-address.js';

describe('parsePeer', () => {
  it.each([
    ['10.1.0.7', { host: '10.1.0.7', kind: 4, port: null }],
    [' 10.1.0.7:43114 ', { text: '10.1.0.7:43114', host: '10.1.0.7', kind: 4, port: 43114 }],
    ['[fd00::7]', { host: 'fd00::7', kind: 6, port: null }],
    ['[FD00:0:0::7]:1', { host: 'fd00::7', kind: 6, port: 1 }],
    ['site-b.example', { host: 'site-b.example', kind: 'name', port: null }],
    ['site-b.example.:65535', { host: 'site-b.example', kind: 'name', port: 65535 }],
    ['localhost', { host: 'localhost', kind: 'name', port: null }],
  ])('reads %j', (text, expected) => {
    expect(parsePeer(text)).toMatchObject(expected);
  });

  it.each([
    ['', 'expected HOST[:PORT]'],
    ['fd00::7', 'in brackets'],
    ['[fd00::7', 'closing "]"'],
    ['[fd00::7]x', 'expected ":PORT"'],
    ['[10.0.0.1]', 'is not an IPv6 address'],
    ['[fe80::1%eth0]', 'is not an IPv6 address'],
    ['10.0.0.300', 'is not an IPv4 address'],
    ['10.0.0.1:0', 'from 1 to 65535'],
    ['10.0.0.1:65536', 'from 1 to 65535'],
    ['host:', 'from 1 to 65535'],
    ['-bad.example', 'expected HOST[:PORT]'],
    ['a..b', 'expected HOST[:PORT]'],
    ['under_score', 'expected HOST[:PORT]'],
  ])('refuses %j (%s) with ERR_PEER', (text, reason) => {
    let err: unknown;
    try {
      parsePeer(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeerSyntaxError);
    expect(err).toMatchObject({ code: 'ERR_PEER' });
    expect((err as PeerSyntaxError).reason).toContain(reason);
  });
});
