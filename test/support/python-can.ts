/**
 * Access to Debian's python-can (python3-can 4.1) as a test peer: `/usr/bin/python3`, never a
 * version manager's python3 earlier on PATH (it does not see Debian's packages).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** Why python-can cannot be used here, or null when it can. */
export function pythonCanUnavailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import can, msgpack; print(can.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`;
  if (probe.status !== 0) {
    return `python3-can / python3-msgpack missing (run scripts/install-test-deps.sh): ${probe.stderr.trim()}`;
  }
  return null;
}

/** Path of a file under test/fixtures/, from the source tree (works from src and from dist). */
export function fixturePath(name: string): string {
  const url = new URL(`../fixtures/${name}`, import.meta.url);
  return fileURLToPath(url).replace(/\/dist\/test\/fixtures\//, '/test/fixtures/');
}

/** Runs a python script with one JSON request on stdin and returns its JSON answer. */
export function runPythonJson<T>(script: string, request: unknown): T {
  const res = spawnSync(PYTHON, [fixturePath(script)], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) {
    throw new Error(`${script} exited ${res.status}: ${res.stderr}`);
  }
  return JSON.parse(res.stdout) as T;
}

/**
 * Marks a test file's python-can dependency: logs why it is skipped, and makes CI fail instead of
 * skipping (CI installs python3-can through scripts/install-test-deps.sh).
 */
export function skipWithoutPythonCan(): boolean {
  const reason = pythonCanUnavailable();
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI must run the python-can tests: ${reason}`);
  console.warn(`SKIPPED python-can tests: ${reason}`);
  return true;
}
