// The README's "Bridge two vcans" recipe, run as written (read from README.md) with can-utils as
// the peers, and the `run` messages of issue 12 that need a real kernel: `run --can lo` says lo is
// not a CAN interface, and a daemon started in the test VM warns about no variable of the harness.
// Run it: node scripts/test-can.mjs test/can/readme-recipes.test.ts
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeRecipe, REPO_ROOT } from '../support/readme-recipe.js';
import { execFileP, skipReason } from './can-helpers.js';
import { BIN } from './daemon-helpers.js';
import { until } from '../support/until.js';

const skip = skipReason() !== null;

describe.skipIf(skip)('README recipes on a real kernel', () => {
  const groups: number[] = [];
  afterAll(() => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('"Bridge two vcans": candump on vcan1 prints the frame cansend wrote to vcan0', async () => {
    const script = readmeRecipe('bridge-two-vcans');
    // Its own process group, so the bridges and candump it starts in the background end with it.
    const child = spawn('bash', ['-c', script], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    groups.push(child.pid ?? 0);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const detail = () => `stdout: ${out}\nstderr: ${err}`;
    // candump's own line for the frame (can-utils candump.c: " %*s  " then lib.c's long format).
    await until(() => out.includes('  vcan1  123   [4]  DE AD BE EF\n'), 'candump', 90_000, {
      pollMs: 100,
      detail,
    });
    expect(out).toBe('  vcan1  123   [4]  DE AD BE EF\n');
    expect(err).toBe('');
    process.kill(-(child.pid ?? 0), 'SIGTERM');
    // The bridges remove their ready files as they exit.
    await until(
      () => !existsSync('/run/cmb-a.ready') && !existsSync('/run/cmb-b.ready'),
      'the bridges to exit',
      90_000,
      { pollMs: 100, detail },
    );
  });

  it('run --can lo says lo is not a CAN interface, exit 69, and warns about no harness variable', async () => {
    // A misspelt variable of our own alongside: warned about, while nothing of the harness is.
    const res = await execFileP(process.execPath, [BIN, 'run', '--can', 'lo'], {
      env: { ...process.env, CMB_LOG_LEVLE: 'info' },
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(res.code).toBe(69);
    expect(res.stderr).toMatch(
      /^can-multicast-bridge run: cannot open CAN interface lo: .+ \(lo exists but is not a CAN interface: list the CAN ones with `ip -br link show type can` \/ `type vcan`\)\n$/,
    );
    const warned = res.stdout
      .split('\n')
      .filter((l) => l.includes('unknown environment variable'))
      .map((l) => (JSON.parse(l) as { variable: string }).variable);
    expect(warned).toEqual(['CMB_LOG_LEVLE']);
    // In the VM, run.sh passes none of the harness's own knobs (CMBTEST_VM_*, CMBTEST_CAN_MODE) in.
    if (process.env.CMBTEST_IN_VM === '1') {
      const harness = Object.keys(process.env).filter(
        (k) => k.startsWith('CMBTEST_VM_') || k === 'CMBTEST_CAN_MODE' || k === 'CMB_IN_VM',
      );
      expect(harness).toEqual([]);
    }
  });
});
