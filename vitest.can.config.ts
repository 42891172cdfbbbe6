// The SocketCAN test suite (test/can/**): run by scripts/test-can.mjs natively when this kernel
// has vcan, otherwise inside the QEMU test VM (test/vm/run.sh), where everything is emulated and
// 10-50x slower than on the host. Measured in the VM (test/vm/README.md): each extra test file
// costs ~15 s when vitest isolates files (a fresh fork each) and ~1-2 s with isolate: false, so
// the files share one fork and run one at a time (2 vCPUs: parallel files only add start-up cost
// and timing noise). Consequence for test files: clean up everything you create (sockets,
// interfaces, namespaces, child processes, listeners) in afterAll, since the next file runs in the
// same process. Timeouts are generous for the emulated machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/can/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    isolate: false,
    fileParallelism: false,
  },
});
