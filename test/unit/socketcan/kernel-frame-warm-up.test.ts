import { describe, expect, it } from 'vitest';
import { warmUpKernelFrames } from '../../../src/socketcan/kernel-frame-warm-up.js';

describe('warmUpKernelFrames', () => {
  it('reads back every frame shape it writes, each round', () => {
    expect(warmUpKernelFrames('me', 10)).toBe(5 * 10);
    expect(warmUpKernelFrames('me', 1)).toBe(5);
  });
});
