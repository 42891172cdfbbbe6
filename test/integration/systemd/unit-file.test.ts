/**
 * systemd/can-multicast-bridge@.service: `systemd-analyze verify` (Debian's systemd package,
 * installed by scripts/install-test-deps.sh) passes without a single warning, the sandbox scores
 * as `systemd-analyze security` OK, and the command line in ExecStart= is one the CLI accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(
  new URL('../../../systemd/can-multicast-bridge@.service', import.meta.url),
);
const BIN = fileURLToPath(new URL('../../../bin/can-multicast-bridge', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../config/example.json', import.meta.url));
const INSTALLED_BIN = '/opt/can-multicast-bridge/bin/can-multicast-bridge';
const dir = mkdtempSync(join(tmpdir(), `cmb-unit-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze =
  analyze.status === 0
    ? null
    : 'systemd-analyze is missing (Debian package systemd; scripts/install-test-deps.sh installs it as root)';
if (noAnalyze !== null) {
  if (process.env.CI === 'true') throw new Error(noAnalyze);
  console.log(`unit-file tests skipped: ${noAnalyze}`);
}

const text = readFileSync(UNIT, 'utf8');

/** The unit's assignments per section, every value of a repeated key in order. */
function parseUnit(source: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> = {};
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    (current[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return sections;
}

/** The unit with ExecStart= pointing at this checkout's CLI (verify wants an existing file). */
function unitHere(source = text): string {
  const lines = source.split('\n').filter((l) => l.startsWith(`ExecStart=${INSTALLED_BIN} `));
  expect(lines).toHaveLength(1);
  return source.replace(`ExecStart=${INSTALLED_BIN} `, `ExecStart=${BIN} `);
}

function verify(name: string, content: string) {
  const file = join(dir, name);
  writeFileSync(file, content);
  const res = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe('can-multicast-bridge@.service', () => {
  const unit = parseUnit(text);
  const service = unit.Service ?? {};

  it
    .skipIf(noAnalyze !== null)
    .each(['can-multicast-bridge@.service', 'can-multicast-bridge@can0.service'])(
    'passes systemd-analyze verify without any message as %s',
    (name) => {
      expect(verify(name, unitHere())).toEqual({ status: 0, output: '' });
    },
  );

  it.skipIf(noAnalyze !== null)('verify would catch a misspelt key (the check is real)', () => {
    const bad = unitHere().replace('WatchdogSec=', 'WatchdogSecs=');
    expect(verify('can-multicast-bridge@can1.service', bad).output).toMatch(
      /Unknown key( name)? 'WatchdogSecs'/,
    );
  });

  it.skipIf(noAnalyze !== null)('scores OK (<= 2.0) in systemd-analyze security', () => {
    const file = join(dir, 'can-multicast-bridge@can0.service');
    writeFileSync(file, unitHere());
    const res = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', file], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const m = /Overall exposure level for \S+: ([0-9.]+) (\w+)/.exec(`${res.stdout}${res.stderr}`);
    if (m === null) {
      // systemd < 250 has no --offline; this Debian (bookworm, 252) does.
      throw new Error(`no exposure level in: ${res.stdout}${res.stderr}`);
    }
    expect(Number(m[1])).toBeLessThanOrEqual(2.0);
  });

  it('is a notify service with a watchdog, restarted on failure but not for a bad config', () => {
    expect(service).toMatchObject({
      Type: ['notify'],
      NotifyAccess: ['main'],
      Restart: ['on-failure'],
      RestartPreventExitStatus: ['78'],
    });
    expect(service.WatchdogSec?.[0]).toMatch(/^[1-9][0-9]*s$/);
    // Bounded: a failure that repeats (an interface that does not exist) stops restarting
    // (issue 11: it restarted every 5 s forever with StartLimitIntervalSec=0).
    expect(unit.Unit?.StartLimitIntervalSec).toEqual(['60s']);
    expect(unit.Unit?.StartLimitBurst).toEqual(['3']);
  });

  it('runs unprivileged in a sandbox with only the address families it uses', () => {
    expect(service).toMatchObject({
      DynamicUser: ['yes'],
      CapabilityBoundingSet: [''],
      NoNewPrivileges: ['yes'],
      ProtectSystem: ['strict'],
      ProtectHome: ['yes'],
      PrivateTmp: ['yes'],
      SystemCallFilter: ['@system-service', '~@privileged'],
      SystemCallErrorNumber: ['EPERM'],
    });
    expect(service.RestrictAddressFamilies?.[0]?.split(' ').sort()).toEqual(
      ['AF_CAN', 'AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX'].sort(),
    );
    // V8's JIT needs writable+executable pages; the bridge needs the host's network namespace.
    expect(service.MemoryDenyWriteExecute).toBeUndefined();
    expect(service.PrivateNetwork).toBeUndefined();
  });

  it('is started by its CAN device without waiting for it or being bound to it, after the network is online', () => {
    // Wants= on the device would wait 90 s for one that never appears (issue 11).
    expect(unit.Unit?.Wants).toEqual(['network-online.target']);
    // The daemon rides through an unplugged adapter itself (test/can/daemon-faults.test.ts);
    // BindsTo= would stop it instead.
    expect(unit.Unit?.BindsTo).toBeUndefined();
    expect(unit.Unit?.After).toEqual(
      expect.arrayContaining(['sys-subsystem-net-devices-%i.device', 'network-online.target']),
    );
    expect(unit.Install?.WantedBy).toEqual(
      expect.arrayContaining(['multi-user.target', 'sys-subsystem-net-devices-%i.device']),
    );
  });

  it('starts the CLI with a command line it accepts (%i = vcan3, its config file)', () => {
    const [exec] = service.ExecStart ?? [];
    const args = (exec ?? '').split(' ');
    expect(args.slice(0, 2)).toEqual([INSTALLED_BIN, 'run']);
    expect(args).toContain('/etc/can-multicast-bridge/%i.json');
    const checkArgs = args
      .slice(2)
      .map((a) => (a === '/etc/can-multicast-bridge/%i.json' ? EXAMPLE : a.replace('%i', 'vcan3')));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('CMB_')),
    );
    const res = spawnSync(process.execPath, [BIN, 'check-config', ...checkArgs], {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ can: { interface: 'vcan3' } });
  });
});
