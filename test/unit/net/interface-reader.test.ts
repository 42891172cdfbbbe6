import { describe, expect, it } from 'vitest';
import { readSysfsLink } from '../../../src/net/interface-reader.js';

describe('readSysfsLink', () => {
  it('reads the index of lo (1 in every namespace, Linux), up, with its MTU and operstate', () => {
    expect(readSysfsLink('lo')?.ifindex).toBe(1);
    expect(readSysfsLink('lo')).toMatchObject({ up: true, operstate: 'unknown' });
    expect(readSysfsLink('lo')?.mtu).toBeGreaterThan(0);
  });

  it.each(['nope-if-0', '', '../lo', 'a/b', 'x'.repeat(16), '..'])(
    'returns null for %j (no such interface, or not a name)',
    (name) => {
      expect(readSysfsLink(name)).toBeNull();
    },
  );
});
