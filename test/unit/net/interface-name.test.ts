import { describe, expect, it } from 'vitest';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import {
  IFNAME_MAX_BYTES,
  interfaceNameProblem,
  isInterfaceName,
} from '../../../src/net/interface-name.js';
import { readSysfsLink } from '../../../src/net/interface-reader.js';

describe('interface names (net/core/dev.c dev_valid_name, on UTF-8 bytes)', () => {
  it.each(['vcan0', 'a', 'abcdefghijklmno', 'can-1_x.y', '..a', 'ééééééé', '€€€€€', 'x\u0001'])(
    'accepts %j',
    (name) => {
      expect(interfaceNameProblem(name)).toBeUndefined();
      expect(isInterfaceName(name)).toBe(true);
    },
  );

  it.each([
    ['', 'it is empty'],
    ['.', ''],
    ['..', ''],
    ['abcdefghijklmnop', '16 bytes in UTF-8 is too long'],
    ['éééééééé', '16 bytes in UTF-8 is too long'],
    ['😀😀😀😀', '16 bytes in UTF-8 is too long'],
    ['vcan0\u0000', 'it contains NUL'],
    ['a/b', 'it contains "/"'],
    ['a:1', 'it contains ":"'],
    ...[' ', '\t', '\n', '\u000b', '\u000c', '\r', '\u00a0', '\u2003', '\u3000'].map(
      (c) => [`a${c}b`, 'it contains whitespace'] as [string, string],
    ),
    ['à', 'its UTF-8 holds the byte 0xA0, which the kernel takes for a space'],
    ['\u0120', 'its UTF-8 holds the byte 0xA0, which the kernel takes for a space'],
    ['\udc00', 'it contains a lone UTF-16 surrogate (not Unicode text)'],
  ])('refuses %j: %j', (name, why) => {
    expect(interfaceNameProblem(name)).toBe(why);
    expect(isInterfaceName(name)).toBe(false);
  });

  it('IFNAMSIZ - 1 is the limit', () => expect(IFNAME_MAX_BYTES).toBe(15));

  it.each(['vcan0\u0000x', 'éééééééé'])(
    'CanSocket refuses %j before any syscall and the sysfs probe never looks it up',
    (name) => {
      expect(() => new CanSocket({ interface: name })).toThrow(
        expect.objectContaining({ code: 'ERR_CAN_INTERFACE' }),
      );
      expect(readSysfsLink(name)).toBeNull();
    },
  );
});
