import { describe, expect, it } from 'vitest';
import { readSysfsLink } from '../../../src/net/interface-reader.js';

describe('readSysfsLink', () => {
  it('reads the index of lo (1 in every namespace, Linux) and that it is up, nothing else', () => {
    expect(readSysfsLink('lo')).toEqual({ ifindex: 1, up: true });
  });

  it.each(['nope-if-0', '', '../lo', 'a/b', 'x'.repeat(16), '..'])(
    'returns null for %j (no such interface, or not a name)',
    (name) => {
      expect(readSysfsLink(name)).toBeNull();
    },
  );
});
