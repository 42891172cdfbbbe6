/**
 * systemd/install.sh into a temporary prefix, as README's "Install as a service" runs it into
 * /opt/can-multicast-bridge: the installed command works, has its addon and no dev dependencies,
 * and the installed unit passes `systemd-analyze verify` with its real ExecStart= path.
 * Needs a built tree (`npm run build`) and npm's cache or registry for the production dependencies.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), `cmb-install-${process.pid}-`));
const prefix = join(dir, 'opt');
const unitDir = join(dir, 'units');
const installedBin = join(prefix, 'bin', 'can-multicast-bridge');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!hasAnalyze) {
  if (process.env.CI === 'true') throw new Error('systemd-analyze is missing');
  console.log('install test: the verify step is skipped: systemd-analyze is missing');
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_') && !k.startsWith('npm_')),
  );
}

let install: ReturnType<typeof spawnSync>;
beforeAll(() => {
  install = spawnSync('bash', [join(ROOT, 'systemd/install.sh')], {
    encoding: 'utf8',
    env: {
      ...cleanEnv(),
      PREFIX: prefix,
      UNIT_DIR: unitDir,
      CONFIG_DIR: join(dir, 'etc'),
      SYSTEMCTL: 'no',
      npm_config_prefer_offline: 'true',
    },
    timeout: 400_000,
  });
}, 420_000);

describe('systemd/install.sh', () => {
  it('installs the command into the prefix and the unit into the unit directory', () => {
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const version = spawnSync(installedBin, ['--version'], { encoding: 'utf8', env: cleanEnv() });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
    const unit = readFileSync(join(unitDir, 'can-multicast-bridge@.service'), 'utf8');
    const source = readFileSync(join(ROOT, 'systemd/can-multicast-bridge@.service'), 'utf8');
    expect(unit).toBe(source.replaceAll('/opt/can-multicast-bridge/', `${prefix}/`));
    expect(existsSync(join(dir, 'etc'))).toBe(true);
  });

  it('installs production dependencies only, with the addon built', () => {
    const pkgDir = join(prefix, 'lib/node_modules/can-multicast-bridge');
    expect(existsSync(join(pkgDir, 'native/build/Release/can_socket.node'))).toBe(true);
    expect(existsSync(join(pkgDir, 'node_modules/pino'))).toBe(true);
    for (const dev of ['vitest', 'typescript', 'eslint'])
      expect(existsSync(join(pkgDir, 'node_modules', dev))).toBe(false);
    expect(existsSync(join(pkgDir, 'dist/test'))).toBe(false);
  });

  it('the installed daemon loads its addon: a missing CAN interface is exit 69, not a load error', () => {
    const res = spawnSync(installedBin, ['run', '--can', 'cmbnosuch0', '--log-level', 'silent'], {
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 30_000,
    });
    expect(res.stderr).toMatch(/^can-multicast-bridge run: cannot open CAN interface cmbnosuch0/);
    expect(res.stderr).not.toMatch(/addon/);
    expect(res.status).toBe(69);
  });

  it.skipIf(!hasAnalyze)('the installed unit passes systemd-analyze verify as it is', () => {
    const res = spawnSync(
      'systemd-analyze',
      ['verify', '--man=no', '--generators=no', join(unitDir, 'can-multicast-bridge@.service')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(`${res.stdout}${res.stderr}`).toBe('');
    expect(res.status).toBe(0);
  });
});
