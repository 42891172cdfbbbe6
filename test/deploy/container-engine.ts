/**
 * The container engine for the image tests: scripts/container-engine.sh picks docker (a daemon
 * answers `docker info`) or podman (installed and configured by the script), and makes sure the
 * Dockerfile's two base images exist (pulled, or local stand-ins). Synchronous, so a test file
 * can decide at collection time whether it runs, and say why not.
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Engine {
  /** The command: docker or podman. */
  command: 'docker' | 'podman';
  /** The environment for it (podman: CONTAINERS_CONF from the script). */
  env: NodeJS.ProcessEnv;
  /** podman's image store (the cache folder's), empty for docker. */
  store: string;
  /** Where the base images came from: pulled, local (stand-ins built here) or present. */
  baseImages: string;
  /** What the set-up printed (versions, timings, which base images). */
  setupLog: string;
  /** The set-up's wall time, in seconds. */
  setupSeconds: number;
}

/** Sets the engine up; returns it, or the reason it cannot run here. */
export function setUpEngine(): Engine | string {
  const t0 = Date.now();
  const res = spawnSync('bash', [join(ROOT, 'scripts/container-engine.sh')], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (res.status !== 0) {
    const last = `${res.stderr ?? ''}`.trim().split('\n').pop() ?? '';
    return `scripts/container-engine.sh exit ${res.status}: ${last || res.error?.message}`;
  }
  const vars = Object.fromEntries(
    res.stdout
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]),
  );
  const env = { ...process.env };
  for (const k of ['CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF']) if (vars[k]) env[k] = vars[k];
  return {
    command: vars.CMBTEST_ENGINE === 'docker' ? 'docker' : 'podman',
    env,
    store: vars.CMBTEST_IMAGE_STORE ?? '',
    baseImages: vars.CMBTEST_BASE_IMAGES ?? '?',
    setupLog: res.stderr,
    setupSeconds: (Date.now() - t0) / 1000,
  };
}

/** Runs the engine with `args`; never throws (look at status and the output). */
export function run(
  engine: Engine,
  args: readonly string[],
  timeoutMs = 120_000,
): SpawnSyncReturns<string> {
  return spawnSync(engine.command, args, { encoding: 'utf8', env: engine.env, timeout: timeoutMs });
}

/**
 * The README's build command for this engine: podman/buildah need `--format docker` to keep the
 * HEALTHCHECK; a CA for a TLS-intercepting proxy goes in as the build secret `npm_ca` (the one
 * NODE_EXTRA_CA_CERTS names here), never into a layer.
 */
export function buildArgs(engine: Engine, tag: string, context = ROOT): string[] {
  const args = ['build', '-t', tag];
  if (engine.command === 'podman') args.push('--format', 'docker');
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca !== undefined && existsSync(ca)) args.push('--secret', `id=npm_ca,src=${ca}`);
  return [...args, context];
}
