// Whether dist/ is older than the sources (src/, test/, bench/), or the addon older than native/:
// the scripts that run compiled JS from dist/ (bench.mjs, soak.mjs, test-can.mjs, test-deploy.mjs)
// build first when it is, with `buildIfStale`; test.mjs rebuilds a stale addon with
// `rebuildAddonIfStale`. `npm ci` builds the addon (the "install" script) but a pull that changes
// native/src does not: an old addon then reads new option names as absent, which it treats as
// "keep the kernel default", silently.
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

const ADDON = join('native', 'build', 'Release', 'can_socket.node');

/** True when the addon is missing or older than its sources (native/src, binding.gyp). */
export function addonIsStale(root) {
  const addon = join(root, ADDON);
  if (!existsSync(addon)) return true;
  const sources = Math.max(
    newest(join(root, 'native', 'src')),
    statSync(join(root, 'native', 'binding.gyp')).mtimeMs,
  );
  return statSync(addon).mtimeMs < sources;
}

/** Rebuilds the addon (native/build.mjs) when `addonIsStale(root)`; false when that build failed. */
export function rebuildAddonIfStale(root, { say = console.log } = {}) {
  if (!addonIsStale(root)) return true;
  say('the addon is missing or older than native/src: node native/build.mjs');
  const res = spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  return res.status === 0;
}

/**
 * Runs `npm run build` in `root` when `distIsStale(root, marker)`, saying so through `say`; true
 * when dist/ is fresh or the build passed, false when it failed (the caller picks its exit code).
 */
export function buildIfStale(root, { marker = 'dist', say = console.log } = {}) {
  if (!rebuildAddonIfStale(root, { say })) return false;
  if (!distIsStale(root, marker)) return true;
  const t0 = Date.now();
  say('dist/ is missing or older than the sources: npm run build');
  const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  say(`build ${res.status === 0 ? 'ok' : 'FAILED'} in ${secs} s`);
  return res.status === 0;
}
