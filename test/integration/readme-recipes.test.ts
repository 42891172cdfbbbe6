/**
 * The README's quick start and python-can example, run as written (the blocks are read from
 * README.md) inside a network namespace the test makes, whose veth carries IPv6 multicast for
 * python-can's default group. The vcan recipe needs CAN: test/can/readme-recipes.test.ts.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';
import { PYTHON, pythonCanUnavailable } from '../support/python-can.js';
import { readmeRecipe, REPO_ROOT } from '../support/readme-recipe.js';
import { until } from '../support/until.js';

function skipReason(): string | null {
  const reason = netnsSkipReason('README recipe tests');
  if (reason !== null) return reason;
  const python = pythonCanUnavailable();
  if (python !== null) {
    if (process.env.CI === 'true') throw new Error(`README recipe tests: ${python}`);
    console.warn(`SKIPPED README recipe tests: ${python}`);
    return python;
  }
  if (!existsSync(`${REPO_ROOT}/dist/src/main.js`)) {
    throw new Error('dist/src/main.js is missing: run `npm run build` first');
  }
  return null;
}
const skip = skipReason() !== null;

describe.skipIf(skip)('README recipes, as written', () => {
  const lab = skip ? null : new NetnsLab('rdme');
  let ns: Netns;

  beforeAll(async () => {
    ns = await lab!.createNamespace();
    const other = await lab!.createNamespace();
    await lab!.addVethPair(ns, { ipv6: 'fd79::1/64' }, other, { ipv6: 'fd79::2/64' });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('quick start: dump prints what send sent, as the README shows it', async () => {
    const lines = readmeRecipe('quick-start')
      .split('\n')
      .filter((l) => l.startsWith('./bin/'));
    expect(lines).toHaveLength(2);
    const dump = lab!.spawn(ns, 'sh', ['-c', lines[0] as string], { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    dump.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    dump.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
    try {
      await until(() => err.includes('listening'), 'dump to listen', 20_000, { pollMs: 50 });
      const send = await lab!.run(ns, 'sh', ['-c', `cd ${REPO_ROOT} && ${lines[1]}`]);
      expect(send.stderr).toBe('');
      expect(send.code).toBe(0);
      await until(() => out.split('\n').length > 4, 'four frames', 20_000, { pollMs: 50 });
    } finally {
      dump.kill('SIGINT');
    }
    // The README's "Terminal 1 prints" block, timestamps aside.
    const readme = readmeRecipe('quick-start-output');
    const noTime = (text: string) => text.trim().replace(/^\(\d+\.\d{6}\)/gm, '(T)');
    expect(noTime(`${err.split('\n')[0]}\n${out}`)).toBe(noTime(readme));
  });

  it('python-can example: prints the other program frame, not its own', async () => {
    const script = readmeRecipe('python-can');
    const python = lab!.spawn(ns, PYTHON, ['-c', script]);
    let out = '';
    let err = '';
    python.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    python.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
    let exited = false;
    python.once('close', () => (exited = true));
    // Send as the README's comment says until python has printed (it needs a moment to open).
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      const send = await lab!.run(ns, 'sh', [
        '-c',
        `cd ${REPO_ROOT} && ./bin/can-multicast-bridge send 321#BEEF`,
      ]);
      expect(send.code).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(err).toBe('');
    expect(out).toMatch(/^Timestamp: +\d+\.\d+ +ID: 0321 +S Rx +DL: +2 +be ef\n$/);
  });
});
