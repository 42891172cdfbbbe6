#!/usr/bin/env node
// The deployment tests (test/deploy/**, vitest.deploy.config.ts), issue 11: the container image
// built from the Dockerfile and run with a real engine (test/deploy/container-*.test.ts; the
// engine and local base images come from scripts/container-engine.sh), and the systemd unit
// under a real systemd as PID 1 in the test VM (test/deploy/systemd-vm.test.ts). Each test file
// says why when its engine cannot run, and fails under CI=true (both are promises of the
// product). It builds dist/ first when stale: systemd/install.sh packs the built tree.
// Usage: node scripts/test-deploy.mjs [vitest args and file filters...]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildIfStale } from './dist-stale.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const t0 = Date.now();
if (!buildIfStale(root, { say: (msg) => console.log(`test-deploy: ${msg}`) })) process.exit(1);
const res = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--config',
    'vitest.deploy.config.ts',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);
console.log(
  `test-deploy: ${res.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
process.exit(res.status ?? 1);
