// The deployment tests (test/deploy/**): the container image built and run with a real engine,
// and the systemd unit under a real systemd in the test VM. Run by scripts/test-deploy.mjs, one
// file at a time (each one loads both cores: an image build, an emulated VM).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/deploy/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
