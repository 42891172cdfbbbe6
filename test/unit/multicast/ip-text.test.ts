// Source addresses as text (src/multicast/ip-text.ts), as inet_ntop(3) and os.networkInterfaces()
// write them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressTextCache, ipv4Text, ipv6Text } from '../../../src/multicast/ip-text.js';

function v6bytes(groups: number[]): Uint8Array {
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
}

describe('ipv6Text', () => {
  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0xfe80, 0, 0, 0, 0, 0, 0, 1], 'fe80::1'],
    [
      [0xff15, 0x7079, 0x7468, 0x6f6e, 0x6465, 0x6d6f, 0x6d63, 0x6173],
      'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173',
    ],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[1, 0, 1, 0, 1, 0, 1, 0], '1:0:1:0:1:0:1:0'],
    [[0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], '::ffff:192.0.2.1'],
  ])('%j is %s', (groups, text) => {
    expect(ipv6Text(v6bytes(groups), 0)).toBe(text);
  });

  it('agrees with the WHATWG URL serializer (RFC 5952) on any address that is not IPv4-mapped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
          minLength: 8,
          maxLength: 8,
        }),
        (groups) => {
          fc.pre(!(groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff));
          const text = ipv6Text(v6bytes(groups), 0);
          expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
          expect(new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname).toBe(
            `[${text}]`,
          );
        },
      ),
    );
  });
});

describe('AddressTextCache', () => {
  it('answers from the last address and follows a change of address or family', () => {
    const cache = new AddressTextCache();
    const buf = Uint8Array.of(10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    expect(cache.text(buf, 0, 4)).toBe('10.0.0.2');
    expect(cache.text(buf, 0, 4)).toBe(ipv4Text(buf, 0));
    buf[3] = 3;
    expect(cache.text(buf, 0, 4)).toBe('10.0.0.3');
    expect(cache.text(buf, 0, 6)).toBe('a00:3::1');
  });
});
