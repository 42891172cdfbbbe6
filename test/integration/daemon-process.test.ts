/**
 * The built daemon as a process, as systemd runs it: start-up failures are one clear line and an
 * exit code systemd can act on (78 = EX_CONFIG, no restart loop; 69 = unavailable, retried).
 * Nothing here opens a multicast socket.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../config/example.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cmb-daemon-'));

/** Runs the CLI with an environment free of CMB_* variables (the test tooling's own). */
function cli(...args: string[]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_')),
  );
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 20_000 });
}

describe('daemon process', () => {
  it('check-config accepts config/example.json and prints the effective config', () => {
    const res = cli('check-config', EXAMPLE);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ multicast: { port: 43113, hopLimit: 1 } });
  });

  it.each([
    ['an unknown key', { multicast: { grup: 'x' } }, 'multicast.grup'],
    ['a wrong type', { txQueue: { size: 'big' } }, 'txQueue.size'],
    ['a group that is not multicast', { multicast: { group: '192.0.2.1' } }, 'multicast.group'],
    ['a bad filter', { toCan: { filters: ['123:GGG'] } }, 'toCan.filters'],
  ])('run refuses %s with exit 78 and one message naming the key', (_name, config, key) => {
    const file = join(dir, `${key}.json`);
    writeFileSync(file, JSON.stringify(config));
    const res = cli('run', '--config', file);
    expect(res.status).toBe(78);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(key);
    expect(res.stderr.trim().split('\n')[0]).toMatch(/^can-multicast-bridge run: /);
  });

  it('run exits 69 with one line when the CAN interface cannot be opened', () => {
    const res = cli('run', '--can', 'cmbnosuch0', '--log-level', 'silent');
    expect(res.status).toBe(69);
    expect(res.stderr).toMatch(
      /^can-multicast-bridge run: cannot open CAN interface cmbnosuch0: .+\n$/,
    );
  });

  it('--help lists the commands and every command has its own help', () => {
    expect(cli('--help').stdout).toMatch(/run .*\n.*check-config/s);
    for (const command of ['run', 'check-config', 'dump', 'send']) {
      const res = cli(command, '--help');
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^Usage: can-multicast-bridge ${command}`));
    }
  });
});
