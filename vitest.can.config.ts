// The SocketCAN test suite (test/can/**): run by scripts/test-can.mjs natively when this kernel
// has vcan, otherwise inside the QEMU test VM (test/vm/run.sh), where everything is emulated and
// about 10-50x slower than on the host (test/vm/README.md): hence the long timeouts, and one file
// at a time (2 vCPUs; parallel forks only add startup cost and timing noise there).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/can/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
