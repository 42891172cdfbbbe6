/**
 * The built CLI's messages for a host without a usable multicast route (issue 12), as a user sees
 * them: in a network namespace the test makes, with only `lo` (no multicast route at all) or with
 * a veth pair whose IPv6 multicast routes were taken away, then put back as the hint says.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip, NetnsLab, netnsSkipReason } from '../support/netns.js';
import type { Netns } from '../support/netns.js';

const BIN = fileURLToPath(new URL('../../bin/can-multicast-bridge', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

function skipReason(): string | null {
  const reason = netnsSkipReason('CLI message tests');
  if (reason !== null) return reason;
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  return null;
}
const skip = skipReason() !== null;
const V6 = 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173';

/** The built CLI's result, as a shell shows it (these fail before any socket is opened). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('CLI messages, from the built binary (issue 12)', () => {
  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  });

  it.each([
    [['dump', '--timeout', '-1'], 'dump: --timeout must be a number of seconds >= 0, got "-1"'],
    [
      ['send', '--interval', '-1', '123#00'],
      'send: --interval must be an integer from 0 to 3600000, got "-1"',
    ],
    [['dump', '--bogus'], "dump: unknown option --bogus (see 'can-multicast-bridge dump --help')"],
    [
      ['send', '123#XYZ'],
      'send: FRAME 1: invalid frame "123#XYZ": data "XYZ" is not hexadecimal: "X" is not a hex digit (0-9, A-F)',
    ],
  ])('%j: one line, exit 64', (args, message) => {
    expect(cli(args)).toEqual({
      code: 64,
      stdout: '',
      stderr: `can-multicast-bridge ${message}\n`,
    });
  });

  it('check-config reports a misspelt CMB_* variable as run does', () => {
    const res = cli(['check-config'], { CMB_CAN_INTERFCE: 'vcan0' });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(
      'can-multicast-bridge check-config: warning: unknown environment variable CMB_CAN_INTERFCE ignored (did you mean CMB_CAN_INTERFACE?)\n',
    );
  });

  it('lists --version in the main help; run --help names the default can0', () => {
    expect(cli(['--help']).stdout).toContain('  -V, --version  print the version\n');
    expect(cli(['run', '--help']).stdout).toContain('(default can0; e.g. vcan0)');
  });
});

describe.skipIf(skip)('CLI messages without a multicast route', () => {
  const lab = skip ? null : new NetnsLab('clim');
  let bare: Netns;
  let veth: Netns;
  let ifA: string;

  /** The route the kernel adds per interface, and the hint names: `multicast ff00::/8 ... local`. */
  const v6MulticastRoute = (verb: 'add' | 'del') =>
    ip([
      '-n',
      veth.name,
      '-6',
      'route',
      verb,
      'multicast',
      'ff00::/8',
      'dev',
      ifA,
      'table',
      'local',
    ]);

  beforeAll(async () => {
    bare = await lab!.createNamespace();
    veth = await lab!.createNamespace();
    const other = await lab!.createNamespace();
    [ifA] = await lab!.addVethPair(veth, { ipv4: '10.79.0.1/24' }, other, {
      ipv4: '10.79.0.2/24',
    });
    // The kernel adds `multicast ff00::/8 dev IF table local` per interface; without it an IPv6
    // join on the default interface fails with ENODEV (as on a host without IPv6 multicast).
    await v6MulticastRoute('del');
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  const run = (ns: Netns, args: string[]) => lab!.run(ns, process.execPath, [BIN, ...args]);

  it('dump names the fix for ENODEV on IPv6, exit 69', async () => {
    const res = await run(veth, ['dump', '--timeout', '0.1']);
    expect(res.code).toBe(69);
    expect(res.stderr).toBe(
      `can-multicast-bridge dump: cannot listen to ${V6} port 43113 (joining the group failed): ENODEV: no interface carries IPv6 multicast by default on this host: use -4 (python-can's IPv4 group), --interface NAME, or add an IPv6 multicast route (ip -6 route add multicast ff00::/8 dev NAME table local)\n`,
    );
  });

  it('send says "cannot send", not "cannot join", with the IPv4 fix, exit 69', async () => {
    const res = await run(bare, ['send', '-4', '123#00']);
    expect(res.code).toBe(69);
    expect(res.stderr).toBe(
      'can-multicast-bridge send: cannot send to 239.74.163.2 port 43113: ENODEV: no interface carries IPv4 multicast by default on this host: use --interface NAME, or add a multicast route (ip route add 224.0.0.0/4 dev NAME)\n',
    );
  });

  // Issue 12: the first frames went out, then exit 70 and a stack trace ("too_large").
  it('send refuses a datagram over 4096 bytes before sending anything: exit 64, one line', async () => {
    const res = await run(veth, ['send', '-4', '-i', ifA, '--channel', 'c'.repeat(5000), '123#00']);
    expect(res.stderr).toBe(
      `can-multicast-bridge send: FRAME 1: invalid frame "123#00": its datagram would exceed python-can's 4096-byte limit (a shorter --channel?)\n`,
    );
    expect(res.code).toBe(64);
  });

  it('send - names the bad line of its input and stops there: exit 64', async () => {
    const res = await lab!.run(veth, process.execPath, [BIN, 'send', '-4', '-i', ifA, '-'], {
      input: '# a log\n(1700000000.000000) can0 123#00\n\n124#0G\n125#00\n',
    });
    expect(res.stderr).toBe(
      'can-multicast-bridge send: line 4: invalid frame "124#0G": data "0G" is not hexadecimal: "G" is not a hex digit (0-9, A-F)\n',
    );
    expect(res.code).toBe(64);
  });

  it('the hint works: -4 on the veth, then the IPv6 route the message names', async () => {
    const v4 = await run(veth, ['dump', '-4', '--timeout', '0.1']);
    expect(v4.stderr).toBe('dump: listening to 239.74.163.2 port 43113\ndump: 0 frames\n');
    expect(v4.code).toBe(0);
    await v6MulticastRoute('add');
    const v6 = await run(veth, ['dump', '--timeout', '0.1']);
    expect(v6.stderr).toBe(`dump: listening to ${V6} port 43113\ndump: 0 frames\n`);
    expect(v6.code).toBe(0);
  });
});
