import { describe, expect, it } from 'vitest';
import { sysfsInterfaceIndex } from '../../../src/multicast/interface-watch.js';

describe('sysfsInterfaceIndex', () => {
  it('reads the index of lo (1 in every namespace, Linux)', () => {
    expect(sysfsInterfaceIndex('lo')).toBe(1);
  });

  it.each(['nope-if-0', '', '../lo', 'a/b', 'x'.repeat(16), '..'])(
    'returns null for %j (no such interface, or not a name)',
    (name) => {
      expect(sysfsInterfaceIndex(name)).toBeNull();
    },
  );
});
