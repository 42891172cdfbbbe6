/**
 * The unit's SystemCallFilter= and RestrictAddressFamilies= without systemd: seccomp-exec.py
 * installs the same seccomp filter (groups expanded by this systemd's `systemd-analyze
 * syscall-filter`, SystemCallErrorNumber=, socket(2) families) and execs the built CLI under it. Node, libuv, V8, the addon, UDP multicast on lo and sd_notify must
 * all work inside @system-service minus @privileged. Needs libseccomp.so.2 (a dependency of
 * Debian's systemd package) and a build (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeAddonPath } from '../../../src/native/native-binding.js';
import { nativeNotifySend } from '../../../src/systemd/sd-notify-send.js';
import { NotifySocketReceiver, receivedSoFar } from './notify-socket-receiver.js';

const UNIT = fileURLToPath(
  new URL('../../../systemd/can-multicast-bridge@.service', import.meta.url),
);
const SECCOMP_EXEC = fileURLToPath(new URL('./seccomp-exec.py', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/can-multicast-bridge', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), `cmb-seccomp-${process.pid}-`));
const receivers: NotifySocketReceiver[] = [];
afterAll(() => {
  for (const r of receivers) r.close();
  rmSync(dir, { recursive: true, force: true });
});

const probe = spawnSync(
  '/usr/bin/python3',
  ['-c', 'import ctypes; ctypes.CDLL("libseccomp.so.2")'],
  { encoding: 'utf8' },
);
const analyze = spawnSync('systemd-analyze', ['--version']);
const missing =
  probe.status !== 0
    ? 'libseccomp.so.2 is missing (Debian package libseccomp2, a dependency of systemd)'
    : analyze.status !== 0
      ? 'systemd-analyze is missing (Debian package systemd)'
      : null;
if (missing !== null) {
  if (process.env.CI === 'true') throw new Error(missing);
  console.log(`syscall filter tests skipped: ${missing}`);
}

function underFilter(unit: string, ...args: string[]) {
  return run(unit, process.execPath, ...args);
}

function run(unit: string, ...command: string[]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_')),
  );
  return spawnSync('/usr/bin/python3', [SECCOMP_EXEC, unit, '--', ...command], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
}

describe.skipIf(missing !== null)('the unit under its own SystemCallFilter=', () => {
  it('starts Node and the daemon, which fails only for want of a CAN interface (exit 69)', () => {
    const res = underFilter(UNIT, BIN, 'run', '--can', 'cmbnosuch0', '--log-level', 'silent');
    expect(res.stderr).toMatch(/^can-multicast-bridge run: cannot open CAN interface cmbnosuch0/);
    expect(res.status).toBe(69);
  });

  it('joins and listens to a multicast group on lo (dump)', () => {
    const res = underFilter(UNIT, BIN, 'dump', '-4', '--interface', 'lo', '--timeout', '1');
    expect(res.stderr).toBe('dump: listening to 239.74.163.2 port 43113 on lo\ndump: 0 frames\n');
    expect(res.status).toBe(0);
  });

  it('sends sd_notify datagrams', async () => {
    const r = new NotifySocketReceiver(`@cmb-seccomp-${process.pid}`);
    receivers.push(r);
    await r.start();
    const script = `require(${JSON.stringify(nativeAddonPath())}).sdNotify(${JSON.stringify(r.address)}, 'READY=1')`;
    const res = underFilter(UNIT, '-e', script);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(await receivedSoFar(r, nativeNotifySend)).toEqual(['READY=1']);
  });

  it('refuses socket families the unit does not list with EAFNOSUPPORT', () => {
    const probe = [
      'import socket',
      'for name in ("AF_PACKET", "AF_NETLINK"):',
      '    try:',
      '        socket.socket(getattr(socket, name), socket.SOCK_RAW).close(); print(name, "ok")',
      '    except OSError as e:',
      '        print(name, e.errno)',
    ].join('\n');
    const res = run(UNIT, '/usr/bin/python3', '-c', probe);
    expect(res.stdout).toBe('AF_PACKET 97\nAF_NETLINK ok\n'); // 97: EAFNOSUPPORT
  });

  it('needs AF_NETLINK: without it the group cannot be resolved', () => {
    const noNetlink = join(dir, 'no-netlink.service');
    writeFileSync(
      noNetlink,
      readFileSync(UNIT, 'utf8').replace(/^RestrictAddressFamilies=.*$/m, (line) =>
        line.replace(' AF_NETLINK', ''),
      ),
    );
    const res = underFilter(noNetlink, BIN, 'dump', '-4', '--interface', 'lo', '--timeout', '1');
    // os.networkInterfaces() throws: exit 70 today, 69 once that error is classified.
    expect([69, 70]).toContain(res.status);
  });

  it('is a real filter: denying @network-io as well breaks the same dump', () => {
    const strict = join(dir, 'strict.service');
    writeFileSync(
      strict,
      readFileSync(UNIT, 'utf8').replace(
        'SystemCallFilter=~@privileged',
        'SystemCallFilter=~@privileged @network-io',
      ),
    );
    const res = underFilter(strict, BIN, 'dump', '-4', '--interface', 'lo', '--timeout', '1');
    // os.networkInterfaces() fails with errno 1 (EPERM): exit 70 today, 69 once that error is
    // classified; stderr may not get out either (the child's stdio is a socketpair here).
    expect([69, 70]).toContain(res.status);
  });
});
