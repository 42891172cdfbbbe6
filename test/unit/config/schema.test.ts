import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { toRawConfig } from '../../../src/config/bridge-config.js';
import { configKeys, configSchema } from '../../../src/config/schema.js';
import { FORMATS } from '../../../src/config/formats.js';

// The full key list with defaults, written out by hand: changing a default or a key must change
// this table on purpose.
const DEFAULTS: [string, unknown][] = [
  ['can.interface', 'can0'],
  ['can.fd', true],
  ['can.receiveBufferBytes', 4194304],
  ['multicast.group', 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173'],
  ['multicast.port', 43113],
  ['multicast.interface', ''],
  ['multicast.hopLimit', 1],
  ['multicast.loopback', true],
  ['multicast.receiveBufferBytes', 8388608],
  ['multicast.allowSources', []],
  ['multicast.interfaceCheckMs', 1000],
  ['multicast.peers', []],
  ['multicast.peerResolveMs', 30000],
  ['sender.id', ''],
  ['sender.ignore', []],
  ['toMulticast.enabled', true],
  ['toMulticast.filters', []],
  ['toMulticast.errorFrames', false],
  ['toCan.enabled', true],
  ['toCan.filters', []],
  ['toCan.errorFrames', false],
  ['txQueue.size', 4096],
  ['txQueue.staleMs', 1000],
  ['log.level', 'info'],
  ['stats.intervalMs', 60000],
  ['metrics.enabled', false],
  ['metrics.host', '127.0.0.1'],
  ['metrics.port', 9464],
];

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], obj);
}

function upperSnake(path: string): string {
  return path
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_');
}

describe('config schema', () => {
  it('has exactly the documented keys, in order', () => {
    expect(configKeys().map((k) => k.key)).toEqual(DEFAULTS.map(([key]) => key));
  });

  it.each(configKeys())('$key has a doc, a cmb-* format, a default and an env name', (k) => {
    expect(k.doc.length).toBeGreaterThan(20);
    expect(Object.keys(FORMATS)).toContain(k.format);
    expect(k.default).not.toBeUndefined();
    expect(k.env).toBe(`CMB_${upperSnake(k.key)}`);
  });

  it.each(configKeys())('the default of $key is valid for its own format', (k) => {
    expect(FORMATS[k.format].check(k.default, k)).toBeUndefined();
  });

  it.each(DEFAULTS)('%s defaults to %j', (key, value) => {
    const raw = toRawConfig(loadConfig({ env: {}, hostname: 'h' }));
    if (key === 'sender.id') expect(get(raw, key)).toBe('h/can0');
    else expect(get(raw, key)).toEqual(value);
  });

  it('hands out a fresh schema object each time', () => {
    expect(configSchema()).not.toBe(configSchema());
    expect(configSchema()).toEqual(configSchema());
  });
});
