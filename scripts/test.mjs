#!/usr/bin/env node
// `npm test`: everything CI checks, in order, with one closing line that counts every test run.
//   1. the Debian packages the tests need (scripts/install-test-deps.sh)
//   2. type check, lint (eslint) and format check (prettier)
//   3. build (TypeScript to dist/, used by the child processes the tests spawn)
//   4. host tests (vitest: unit + integration, including python-can and network namespaces)
//   5. SocketCAN tests against a real kernel: natively when it has vcan, else in the QEMU VM
//   6. deployment tests: the container image with a real engine, the unit under a real systemd
//      (scripts/test-deploy.mjs)
// Extra arguments are passed to both vitest runs as file filters.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildAddonIfStale } from './dist-stale.mjs';

const root = new URL('..', import.meta.url).pathname;
const resultsDir = join(root, '.cache', 'test-results');
const filters = process.argv.slice(2);
const started = Date.now();

function step(name, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n== ${name}: ${[cmd, ...args].join(' ')}`);
  const res = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const status = res.status ?? 1;
  console.log(`== ${name}: ${status === 0 ? 'ok' : `FAILED (exit ${status})`} in ${secs} s`);
  return status;
}

/** Counts from a vitest JSON report, or null when the run wrote none. */
function counts(file) {
  if (!existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const failures = [];
const run = (name, cmd, args, env) => {
  if (step(name, cmd, args, env) !== 0) failures.push(name);
};

run('test dependencies', 'bash', ['scripts/install-test-deps.sh']);
run('type check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
run('lint', 'npx', ['eslint', '.']);
run('format', 'npx', ['prettier', '--check', '.']);
// A pull that changed native/src without `npm ci` leaves an old addon behind: rebuild it.
if (!rebuildAddonIfStale(root, { say: (msg) => console.log(`\n== addon: ${msg}`) })) {
  failures.push('addon');
}
run('build', 'npm', ['run', '--silent', 'build']);
const report = (name) => [
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${join(resultsDir, `${name}.json`)}`,
];
run('host tests', 'npx', ['vitest', 'run', ...report('host'), ...filters]);
run('SocketCAN tests', 'node', ['scripts/test-can.mjs', ...report('can'), ...filters]);
run('deployment tests', 'node', ['scripts/test-deploy.mjs', ...report('deploy'), ...filters]);

const total = { passed: 0, failed: 0, skipped: 0 };
for (const name of ['host', 'can', 'deploy']) {
  const c = counts(join(resultsDir, `${name}.json`));
  if (c === null) {
    console.log(`(no ${name} test report: that run did not complete)`);
    continue;
  }
  console.log(`${name} tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')} (${minutes} min)`);
else console.log(`\nall steps passed (${minutes} min)`);
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failures.length > 0 ? 1 : 0);
