/**
 * The built CLI as systemd starts it, with $NOTIFY_SOCKET set: a start-up failure exits 69 and
 * never tells systemd READY=1 (this host has no CAN interface named below). Run `npm run build`
 * first: the child runs dist/.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { nativeNotifySend } from '../../../src/systemd/sd-notify-send.js';
import { NotifySocketReceiver, receivedSoFar } from './notify-socket-receiver.js';

const BIN = fileURLToPath(new URL('../../../bin/can-multicast-bridge', import.meta.url));
const receivers: NotifySocketReceiver[] = [];
afterAll(() => receivers.forEach((r) => r.close()));

function runDaemon(env: Record<string, string>, ...args: string[]) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_') && !k.startsWith('NOTIFY_')),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { exit, stderr: () => stderr };
}

describe('run under systemd (process)', () => {
  it.each(['path', 'abstract'] as const)(
    'exits 69 without READY=1 when the CAN interface cannot be opened (%s socket)',
    async (form) => {
      const name = `cmb-notify-proc-${process.pid}-${form}`;
      const r = new NotifySocketReceiver(form === 'path' ? `/tmp/${name}.sock` : `@${name}`);
      receivers.push(r);
      await r.start();
      const run = runDaemon(
        { NOTIFY_SOCKET: r.address, WATCHDOG_USEC: '1000000', WATCHDOG_PID: '' },
        'run',
        '--can',
        'cmbnosuch0',
        '--log-level',
        'silent',
      );
      expect(await run.exit).toBe(69);
      expect(run.stderr()).toMatch(
        /^can-multicast-bridge run: cannot open CAN interface cmbnosuch0/,
      );
      expect(await receivedSoFar(r, nativeNotifySend)).toEqual([]);
    },
    60_000,
  );
});
