// Builds the can_socket addon from source with node-gyp, offline: node-gyp is pointed at the
// headers installed with this Node (`<prefix>/include/node`) so it never downloads any.
// Run by the package's "install" script (npm puts its bundled node-gyp in `npm_config_node_gyp`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

if (process.platform !== 'linux') {
  console.log('can_socket: SocketCAN exists only on Linux; not building the addon');
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    // npm's own copy next to this Node (Debian: /usr/lib/node_modules/npm; nvm/tarball: lib/...).
    resolve(
      dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  return candidates.find((p) => p !== undefined && p !== '' && existsSync(p));
}

function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined;
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) {
  console.error('can_socket: node-gyp not found (it ships with npm); cannot build the addon');
  process.exit(1);
}
const nodeDir = findNodeDir();
const args = [nodeGyp, 'rebuild', '--directory', here];
if (nodeDir !== undefined) args.push(`--nodedir=${nodeDir}`);
else console.warn('can_socket: no Node headers next to node; node-gyp may try to download them');

const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
