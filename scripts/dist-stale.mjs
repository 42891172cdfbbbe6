// Whether dist/ is older than the sources (src/, test/, bench/): the scripts that run compiled JS
// from dist/ (test-can.mjs, soak.mjs) build first when it is.
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
