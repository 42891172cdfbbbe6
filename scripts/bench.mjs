#!/usr/bin/env node
/**
 * `npm run bench`: builds when dist/ is older than the sources, then runs every benchmark in turn,
 * each printing its own table. Each one also runs alone (see its header comment):
 *
 *   codec      node dist/bench/codec-bench.js        host
 *   multicast  node dist/bench/multicast-bench.js    host (root: network namespaces)
 *   socketcan  node dist/bench/socketcan-bench.js    test VM (re-runs itself there)
 *   bridge     node dist/bench/bridge-bench.js       test VM (re-runs itself there)
 *
 * Usage: npm run bench [-- --only codec,bridge] [-- --quick] [-- --json FILE]
 *   --only LIST  run only these benchmarks
 *   --quick      short runs where a benchmark has a quick mode (bridge: 2 s steps, not a result)
 *   --json FILE  the bridge benchmark also writes every step and summary there as JSON
 *
 * The bridge benchmark alone, all five systems in one VM run with 10 s steps (about 12 min):
 *   npm run bench -- --only bridge --json bridge-bench.json
 * Exit status: 0 when every benchmark that ran succeeded, else 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildIfStale } from './dist-stale.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const benchmarks = [
  { name: 'codec', script: 'dist/bench/codec-bench.js', args: [] },
  { name: 'multicast', script: 'dist/bench/multicast-bench.js', args: [] },
  { name: 'socketcan', script: 'dist/bench/socketcan-bench.js', args: [], optional: true },
  {
    name: 'bridge',
    script: 'dist/bench/bridge-bench.js',
    args: [
      ...(values.quick ? ['--quick'] : []),
      ...(values.json !== undefined ? ['--json', values.json] : []),
    ],
  },
];
const only = values.only?.split(',');

if (!buildIfStale(root, { say: (msg) => console.log(`bench: ${msg}`) })) process.exit(1);

const failed = [];
for (const b of benchmarks) {
  if (only !== undefined && !only.includes(b.name)) continue;
  const js = join(root, b.script);
  if (!existsSync(js)) {
    console.log(`\n=== ${b.name}: ${b.script} not present, skipped`);
    continue;
  }
  console.log(`\n=== ${b.name}: node ${b.script} ${b.args.join(' ')}`);
  const res = spawnSync(process.execPath, [js, ...b.args], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.log(`=== ${b.name}: FAILED (exit ${res.status ?? res.signal})`);
    failed.push(b.name);
  }
}
if (failed.length > 0) {
  console.log(`\nbench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
