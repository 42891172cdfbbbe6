// Whether dist/ is older than the sources (src/, test/, bench/): the scripts that run compiled JS
// from dist/ (bench.mjs, soak.mjs, test-can.mjs, test-deploy.mjs) build first when it is, with
// `buildIfStale`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time under dir (0 when it does not exist). */
export function newest(dir) {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** True when `marker` (a path under root) is missing or dist/ is older than the sources. */
export function distIsStale(root, marker = 'dist') {
  const sources = Math.max(...['src', 'test', 'bench'].map((d) => newest(join(root, d))));
  return !existsSync(join(root, marker)) || newest(join(root, 'dist')) < sources;
}

/**
 * Runs `npm run build` in `root` when `distIsStale(root, marker)`, saying so through `say`; true
 * when dist/ is fresh or the build passed, false when it failed (the caller picks its exit code).
 */
export function buildIfStale(root, { marker = 'dist', say = console.log } = {}) {
  if (!distIsStale(root, marker)) return true;
  const t0 = Date.now();
  say('dist/ is missing or older than the sources: npm run build');
  const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  say(`build ${res.status === 0 ? 'ok' : 'FAILED'} in ${secs} s`);
  return res.status === 0;
}
