/**
 * The soak run in short (issue 5 §6): bench/soak.ts for about a minute, both directions at a
 * steady rate through two daemons; zero loss, no duplicates, flat memory. 10 frames/s each way:
 * the emulated VM on a heavily loaded host fell behind by seconds at 25/s. The long run is
 * `npm run soak -- --minutes 30`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SoakResult } from '../../bench/soak.js';
import { daemonEnv } from './daemon-helpers.js';
import { skipReason } from './can-helpers.js';

const skip = skipReason() !== null;
const SOAK = fileURLToPath(new URL('../../dist/bench/soak.js', import.meta.url));

describe.skipIf(skip)('soak (short)', () => {
  it('carries both directions for a minute without loss or duplicates, memory flat', async () => {
    const child = spawn(
      process.execPath,
      [SOAK, '--minutes', '1', '--rate', '10', '--interval', '10', '--json'],
      { env: daemonEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const lines = out.split('\n');
    console.log(lines.filter((l) => !l.startsWith('{')).join('\n'));
    const last = lines.filter((l) => l.startsWith('{"event":"soak-result"')).at(-1);
    expect(last, `${out}\n${err}`).toBeDefined();
    const result = JSON.parse(last!) as SoakResult;
    expect(result.aToB).toMatchObject({ lost: 0, duplicates: 0 });
    expect(result.bToA).toMatchObject({ lost: 0, duplicates: 0 });
    expect(result.aToB.sent).toBeGreaterThan(500);
    expect(result.bToA.sent).toBeGreaterThan(500);
    expect(result.rssMiB.A.growth).toBeLessThanOrEqual(16);
    expect(result.rssMiB.B.growth).toBeLessThanOrEqual(16);
    expect(code, `${result.failures.join('; ')}\n${err}`).toBe(0);
  }, 400_000);
});
