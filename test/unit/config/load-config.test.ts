import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfig, toRawConfig } from '../../../src/config/bridge-config.js';
import { loadConfig, unknownEnvVariables } from '../../../src/config/load-config.js';
import { configError } from '../../support/config-error.js';

const dir = mkdtempSync(join(tmpdir(), `cmb-config-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(content: unknown): string {
  const path = join(dir, `config-${++fileCount}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

function nested(path: string, value: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((v, k) => ({ [k]: v }), value) as Record<
    string,
    unknown
  >;
}

describe('loadConfig precedence', () => {
  // key, file value, env name, env text, env value, override value
  const table: [string, unknown, string, string, unknown, unknown][] = [
    ['can.interface', 'vcan1', 'CMB_CAN_INTERFACE', 'vcan2', 'vcan2', 'vcan3'],
    ['can.fd', false, 'CMB_CAN_FD', 'true', true, false],
    [
      'multicast.group',
      '239.74.163.2',
      'CMB_MULTICAST_GROUP',
      'ff02::1234',
      'ff02::1234',
      '239.1.2.3',
    ],
    ['multicast.port', 40000, 'CMB_MULTICAST_PORT', '40001', 40001, 40002],
    ['multicast.hopLimit', 2, 'CMB_MULTICAST_HOP_LIMIT', '3', 3, 4],
    ['multicast.interface', 'eth0', 'CMB_MULTICAST_INTERFACE', 'veth1', 'veth1', ''],
    [
      'multicast.allowSources',
      ['10.0.0.0/8'],
      'CMB_MULTICAST_ALLOW_SOURCES',
      '192.168.0.0/16, fd00::/8',
      ['192.168.0.0/16', 'fd00::/8'],
      ['127.0.0.1'],
    ],
    ['sender.id', 'a', 'CMB_SENDER_ID', 'b', 'b', 'c'],
    ['sender.ignore', ['x'], 'CMB_SENDER_IGNORE', 'y,z', ['y', 'z'], []],
    [
      'toMulticast.filters',
      ['123:7ff'],
      'CMB_TO_MULTICAST_FILTERS',
      '100:700,200~700',
      ['100:700', '200~700'],
      ['7ff:7ff'],
    ],
    ['toCan.enabled', false, 'CMB_TO_CAN_ENABLED', '1', true, false],
    ['toCan.errorFrames', true, 'CMB_TO_CAN_ERROR_FRAMES', 'FALSE', false, true],
    ['txQueue.size', 10, 'CMB_TX_QUEUE_SIZE', '20', 20, 30],
    ['txQueue.staleMs', 0, 'CMB_TX_QUEUE_STALE_MS', '250', 250, 500],
    ['log.level', 'debug', 'CMB_LOG_LEVEL', 'trace', 'trace', 'silent'],
    ['stats.intervalMs', 0, 'CMB_STATS_INTERVAL_MS', '5000', 5000, 1000],
    ['metrics.enabled', true, 'CMB_METRICS_ENABLED', '0', false, true],
    ['metrics.host', '::1', 'CMB_METRICS_HOST', '0.0.0.0', '0.0.0.0', '127.0.0.2'],
    ['metrics.port', 0, 'CMB_METRICS_PORT', '9000', 9000, 9001],
  ];

  it.each(table)('%s: the file beats the default', (key, fileValue) => {
    const raw = toRawConfig(loadConfig({ file: file(nested(key, fileValue)), env: {} }));
    expect(get(raw, key)).toEqual(fileValue);
  });

  it.each(table)('%s: the environment beats the file', (key, fileValue, env, text, envValue) => {
    const cfg = loadConfig({ file: file(nested(key, fileValue)), env: { [env]: text } });
    expect(get(toRawConfig(cfg), key)).toEqual(envValue);
  });

  it.each(table)(
    '%s: an override beats the environment and the file',
    (key, fileValue, env, text, _envValue, override) => {
      const cfg = loadConfig({
        file: file(nested(key, fileValue)),
        env: { [env]: text },
        overrides: { [key]: override },
      });
      expect(get(toRawConfig(cfg), key)).toEqual(override);
    },
  );

  it.each([
    ['multicast.port', '43114', 43114],
    ['can.fd', 'false', false],
    ['toCan.filters', '123:7ff,456:7ff', ['123:7ff', '456:7ff']],
    ['can.interface', 'vcan9', 'vcan9'],
  ])('reads the override string %s=%j as the environment would', (key, text, value) => {
    expect(get(toRawConfig(loadConfig({ env: {}, overrides: { [key]: text } })), key)).toEqual(
      value,
    );
  });

  it('skips undefined overrides and ignores variables without the CMB_ prefix', () => {
    const cfg = loadConfig({
      env: { PATH: '/bin', HOME: '/root', CMB_CAN_INTERFACE: undefined },
      overrides: { 'can.interface': undefined },
    });
    expect(cfg.can.interface).toBe('can0');
  });

  // Issue 12: the test VM's own variable (was CMB_IN_VM) made every daemon in it warn.
  it('ignores CMB_ variables no key reads, and unknownEnvVariables lists them', () => {
    const env = {
      CMBTEST_IN_VM: '1',
      CMB_LOG_LEVLE: 'debug',
      CMB_MULTICAST_GRUOP: 'ff02::1',
      CMB_CAN_FD: 'false',
      PATH: '/x',
    };
    expect(loadConfig({ env }).can.fd).toBe(false);
    expect(unknownEnvVariables(env)).toEqual([
      { name: 'CMB_LOG_LEVLE', didYouMean: 'CMB_LOG_LEVEL' },
      { name: 'CMB_MULTICAST_GRUOP', didYouMean: 'CMB_MULTICAST_GROUP' },
    ]);
    expect(unknownEnvVariables({ CMB_CAN_INTERFACE: 'x' })).toEqual([]);
  });

  it('reads only the env it is given, not process.env', () => {
    process.env.CMB_CAN_INTERFACE = 'from-process';
    try {
      expect(loadConfig({ env: {} }).can.interface).toBe('can0');
      expect(loadConfig().can.interface).toBe('from-process');
    } finally {
      delete process.env.CMB_CAN_INTERFACE;
    }
  });

  it('keeps keys of the file that the environment does not set', () => {
    const cfg = loadConfig({
      file: file({ multicast: { port: 40000, hopLimit: 3 } }),
      env: { CMB_MULTICAST_PORT: '40001' },
    });
    expect(cfg.multicast.port).toBe(40001);
    expect(cfg.multicast.hopLimit).toBe(3);
  });
});

describe('loadConfig results', () => {
  it('parses filters and networks', () => {
    const cfg = loadConfig({
      env: {},
      overrides: {
        'toMulticast.filters': ['123:7ff', '12345678~1fffffff'],
        'multicast.allowSources': ['10.0.0.0/8'],
      },
    });
    expect(cfg.toMulticast.filters).toMatchObject([
      { id: 0x123, mask: 0x7ff, inverted: false, extended: false },
      { id: 0x92345678, mask: 0x1fffffff, inverted: true, extended: true },
    ]);
    expect(cfg.multicast.allowSources).toMatchObject([{ family: 4, prefix: 8 }]);
  });

  it('is deeply frozen', () => {
    const cfg = loadConfig({ env: {}, overrides: { 'toCan.filters': ['1:1'] } });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.multicast)).toBe(true);
    expect(Object.isFrozen(cfg.toCan.filters)).toBe(true);
    expect(Object.isFrozen(cfg.toCan.filters[0])).toBe(true);
  });

  it('accepts {} and an IPv4 group', () => {
    expect(loadConfig({ file: file({}), env: {} }).multicast.port).toBe(43113);
    const cfg = loadConfig({ file: file({ multicast: { group: '239.74.163.2' } }), env: {} });
    expect(cfg.multicast.group).toBe('239.74.163.2');
  });

  it('formatConfig prints JSON that loads back to the same config', () => {
    const cfg = loadConfig({
      file: file({
        can: { interface: 'vcan0' },
        toCan: { filters: ['123:7ff', '400~700'] },
        multicast: { allowSources: ['fd00::/8'] },
      }),
      env: {},
      hostname: 'box',
    });
    const text = formatConfig(cfg);
    expect(text.endsWith('}\n')).toBe(true);
    const again = loadConfig({ file: file(text), env: {}, hostname: 'other' });
    expect(again).toEqual(cfg);
    expect(JSON.parse(text)).toMatchObject({ sender: { id: 'box/vcan0' } });
  });
});

describe('loadConfig errors', () => {
  // source, file content or env or overrides, key named, value shown, expected text
  const bad: [string, Parameters<typeof loadConfig>[0], string, string, string][] = [
    [
      'an unknown top-level key',
      { file: 'F:{"cann":{"interface":"vcan0"}}' },
      'cann',
      '{"interface":"vcan0"}',
      'did you mean can?',
    ],
    [
      'an unknown nested key',
      { file: 'F:{"multicast":{"grup":"239.1.1.1"}}' },
      'multicast.grup',
      '"239.1.1.1"',
      'expected one of the keys of multicast: group, port',
    ],
    [
      'a deeper unknown key',
      { file: 'F:{"can":{"fd":{"x":1}}}' },
      'can.fd',
      '{"x":1}',
      'expected true or false',
    ],
    [
      'a value for a group',
      { file: 'F:{"can":"vcan0"}' },
      'can',
      '"vcan0"',
      'expected an object with the keys interface, fd, receiveBufferBytes',
    ],
    [
      'a string for a number',
      { file: 'F:{"multicast":{"port":"43113"}}' },
      'multicast.port',
      '"43113"',
      'expected an integer from 1 to 65535',
    ],
    [
      'a number for a boolean',
      { file: 'F:{"can":{"fd":1}}' },
      'can.fd',
      '1',
      'expected true or false',
    ],
    [
      'a float for an integer',
      { file: 'F:{"txQueue":{"size":1.5}}' },
      'txQueue.size',
      '1.5',
      'expected an integer from 1 to 1000000',
    ],
    [
      'a string for a list',
      { file: 'F:{"sender":{"ignore":"a,b"}}' },
      'sender.ignore',
      '"a,b"',
      'expected a list of sender ids',
    ],
    [
      'null',
      { file: 'F:{"log":{"level":null}}' },
      'log.level',
      'null',
      'expected one of "fatal", "error"',
    ],
    [
      'a port out of range',
      { env: { CMB_MULTICAST_PORT: '70000' } },
      'multicast.port',
      '"70000"',
      'expected an integer from 1 to 65535',
    ],
    [
      'port 0',
      { file: 'F:{"multicast":{"port":0}}' },
      'multicast.port',
      '0',
      'expected an integer from 1 to 65535',
    ],
    [
      'a hop limit of 256',
      { overrides: { 'multicast.hopLimit': 256 } },
      'multicast.hopLimit',
      '256',
      'expected an integer from 0 to 255',
    ],
    [
      'a negative hop limit',
      { env: { CMB_MULTICAST_HOP_LIMIT: '-1' } },
      'multicast.hopLimit',
      '"-1"',
      'expected an integer from 0 to 255',
    ],
    [
      'a non-numeric env integer',
      { env: { CMB_TX_QUEUE_SIZE: '12abc' } },
      'txQueue.size',
      '"12abc"',
      'expected an integer',
    ],
    [
      'a misspelt env boolean',
      { env: { CMB_CAN_FD: 'flase' } },
      'can.fd',
      '"flase"',
      'expected true or false',
    ],
    [
      'a unicast IPv4 group',
      { file: 'F:{"multicast":{"group":"10.0.0.1"}}' },
      'multicast.group',
      '"10.0.0.1"',
      'expected an IPv4 multicast address (224.0.0.0/4) or an IPv6 multicast address (ff00::/8)',
    ],
    [
      'a unicast IPv6 group',
      { env: { CMB_MULTICAST_GROUP: 'fd00::1' } },
      'multicast.group',
      '"fd00::1"',
      'multicast address',
    ],
    [
      'a group that is no address',
      { overrides: { 'multicast.group': 'example.org' } },
      'multicast.group',
      '"example.org"',
      'multicast address',
    ],
    [
      '240.0.0.1 as group',
      { overrides: { 'multicast.group': '240.0.0.1' } },
      'multicast.group',
      '"240.0.0.1"',
      'multicast address',
    ],
    [
      'a group with a prefix',
      { overrides: { 'multicast.group': '239.1.1.1/32' } },
      'multicast.group',
      '"239.1.1.1/32"',
      'multicast address',
    ],
    [
      'a bad filter',
      { file: 'F:{"toCan":{"filters":["123:7ff","12g:7ff"]}}' },
      'toCan.filters',
      '["123:7ff","12g:7ff"]',
      'item 2: "12g:7ff": the id "12g" is not 1 to 8 hex digits',
    ],
    [
      'a filter with no separator',
      { env: { CMB_TO_MULTICAST_FILTERS: '123' } },
      'toMulticast.filters',
      '"123"',
      'expected a list of at most 512 CAN id filters',
    ],
    [
      'an error mask filter',
      { overrides: { 'toMulticast.filters': ['#ff'] } },
      'toMulticast.filters',
      '["#ff"]',
      'error-frame masks',
    ],
    [
      'a bad network',
      { file: 'F:{"multicast":{"allowSources":["10.0.0.0/33"]}}' },
      'multicast.allowSources',
      '["10.0.0.0/33"]',
      'from 0 to 32',
    ],
    [
      'a bad interface name',
      { overrides: { 'can.interface': 'can0/x' } },
      'can.interface',
      '"can0/x"',
      'expected a network interface name',
    ],
    [
      'a long interface name',
      { overrides: { 'can.interface': 'a234567890123456' } },
      'can.interface',
      '"a234567890123456"',
      'expected a network interface name',
    ],
    [
      'an empty CAN interface',
      { env: { CMB_CAN_INTERFACE: '' } },
      'can.interface',
      '""',
      'expected a network interface name',
    ],
    [
      'an unknown log level',
      { env: { CMB_LOG_LEVEL: 'verbose' } },
      'log.level',
      '"verbose"',
      'expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ],
    [
      'a host name for metrics.host',
      { overrides: { 'metrics.host': 'localhost' } },
      'metrics.host',
      '"localhost"',
      'expected an IPv4 or IPv6 address',
    ],
    [
      'an empty ignored sender',
      { overrides: { 'sender.ignore': ['a', ''] } },
      'sender.ignore',
      '["a",""]',
      'item 2: it is empty',
    ],
    [
      'a control character in the sender id',
      { overrides: { 'sender.id': 'a\nb' } },
      'sender.id',
      '"a\\nb"',
      'control character',
    ],
    [
      'an unknown override key',
      { overrides: { 'can.interfase': 'vcan0' } },
      'can.interfase',
      '"vcan0"',
      'did you mean can.interface?',
    ],
    [
      'more filters than the kernel takes',
      { overrides: { 'toCan.filters': Array.from({ length: 513 }, () => '1:7ff') } },
      'toCan.filters',
      '["1:7ff",',
      '513 filters is too many',
    ],
    [
      'a dotted key in the file',
      { file: 'F:{"can.interface":"vcan0"}' },
      'can.interface',
      '"vcan0"',
      'a key with a dot; nest it instead, e.g. {"can": {"interface": ...}}',
    ],
    [
      'a group as override key',
      { overrides: { can: { interface: 'vcan0' } } },
      'can',
      '{"interface":"vcan0"}',
      'expected the path of one key, e.g. can.interface',
    ],
  ];

  it.each(bad)(
    '%s gives ERR_CONFIG naming the key, the value and what is expected',
    (_what, opts, key, value, expected) => {
      const options = { env: {}, ...opts };
      if (typeof options.file === 'string' && options.file.startsWith('F:')) {
        options.file = file(options.file.slice(2));
      }
      const err = configError(() => loadConfig(options));
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]?.key).toBe(key);
      expect(err.message).toContain(`invalid configuration: ${key} = ${value}`);
      expect(err.message).toContain(' (from ');
      expect(err.message).toContain(expected);
      expect(err.message).not.toContain('\n');
    },
  );

  it('names where the value came from', () => {
    const path = file({ multicast: { port: 'x' } });
    expect(configError(() => loadConfig({ file: path, env: {} })).message).toContain(
      `(from file ${path})`,
    );
    expect(configError(() => loadConfig({ env: { CMB_MULTICAST_PORT: 'x' } })).message).toContain(
      '(from environment variable CMB_MULTICAST_PORT)',
    );
    expect(
      configError(() => loadConfig({ env: {}, overrides: { 'multicast.port': 'x' } })).message,
    ).toContain('(from command line)');
  });

  it('lists every problem in one message', () => {
    const err = configError(() =>
      loadConfig({
        file: file({ multicast: { port: -1, group: '1.2.3.4' }, bogus: true }),
        env: { CMB_LOG_LEVEL: 'loud' },
      }),
    );
    expect(err.problems.map((p) => p.key).sort()).toEqual(
      ['bogus', 'log.level', 'multicast.group', 'multicast.port'].sort(),
    );
    expect(err.message).toMatch(/^invalid configuration \(4 problems\):\n {2}- /);
  });

  it('validates the effective value: a bad file value overridden by a good one passes', () => {
    const cfg = loadConfig({
      file: file({ multicast: { port: 'x' } }),
      env: { CMB_MULTICAST_PORT: '40000' },
    });
    expect(cfg.multicast.port).toBe(40000);
  });

  it.each([
    [
      'a missing file',
      () => join(dir, 'missing.json'),
      /cannot read config file .*missing\.json: it does not exist/,
    ],
    ['a directory', () => dir, /cannot read config file .*: it is a directory/],
    [
      'invalid JSON',
      () => file('{\n  "can": { "interface": "vcan0", }\n}'),
      /is not valid JSON: .*\(line 2 column \d+\)/,
    ],
    ['an empty file', () => file(''), /is not valid JSON: the file is empty/],
    ['a JSON array', () => file('[]'), /must hold a JSON object with config keys, not an array/],
    ['JSON null', () => file('null'), /not null/],
  ])('%s gives ERR_CONFIG with a clear message', (_what, path, message) => {
    const err = configError(() => loadConfig({ file: path(), env: {} }));
    expect(err.message).toMatch(message);
  });

  // Root reads any file: as root, drop the effective uid to nobody for the read (forks pool).
  const isRoot = process.geteuid?.() === 0;
  const canDropRoot = typeof process.seteuid === 'function';
  const permissionTestRuns = !isRoot || canDropRoot;
  if (!permissionTestRuns)
    console.log('skipping the EACCES test: root, and seteuid is unavailable');
  it.skipIf(!permissionTestRuns && process.env.CI !== 'true')(
    'an unreadable file gives ERR_CONFIG saying permission denied and how to fix it',
    () => {
      const path = file({});
      chmodSync(path, 0o000);
      if (isRoot) process.seteuid?.(65534);
      try {
        const message = configError(() => loadConfig({ file: path, env: {} })).message;
        expect(message).toContain('permission denied for uid ');
        // What to do about it (issue 11: the unit's DynamicUser= cannot read a 0600 file).
        expect(message).toContain(`chmod 0644 ${path}`);
        expect(message).toContain('SupplementaryGroups=');
      } finally {
        if (isRoot) process.seteuid?.(0);
      }
    },
  );
});
