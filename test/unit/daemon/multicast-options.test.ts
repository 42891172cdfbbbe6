// The daemon turns the multicast part of the configuration into MulticastBus options.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { multicastOptions } from '../../../src/daemon/daemon.js';

const config = (overrides: Record<string, string | string[]>) =>
  loadConfig({ env: {}, hostname: 'h', overrides: { 'can.interface': 'vcan0', ...overrides } });

describe('multicastOptions', () => {
  it('passes the defaults: kernel-chosen interface, 8 MiB buffer, a check every second', () => {
    expect(multicastOptions(config({}))).toMatchObject({
      group: 'ff15:7079:7468:6f6e:6465:6d6f:6d63:6173',
      port: 43113,
      interface: null,
      hopLimit: 1,
      receiveBufferBytes: 8 * 1024 * 1024,
      interfaceCheckIntervalMs: 1000,
    });
  });

  it('passes what the configuration sets (0 keeps the kernel buffer default, 0 turns the check off)', () => {
    const opts = multicastOptions(
      config({
        'multicast.interface': 'eth1',
        'multicast.receiveBufferBytes': '0',
        'multicast.interfaceCheckMs': '0',
      }),
    );
    expect(opts).toMatchObject({ interface: 'eth1', interfaceCheckIntervalMs: 0 });
    expect(opts.receiveBufferBytes).toBe(0);
  });

  it('passes no peers by default: nothing changes for a LAN-only bridge', () => {
    const opts = multicastOptions(config({}));
    expect(opts).toMatchObject({ peers: [], peerResolveMs: 30000 });
    expect(opts.acceptUnicastFrom).toBeUndefined();
  });

  it('passes the peers, their resolve interval and allowSources as extra unicast sources', () => {
    const opts = multicastOptions(
      config({
        'multicast.peers': ['10.8.0.2', 'site-c.example:43114'],
        'multicast.peerResolveMs': '5000',
        'multicast.allowSources': '10.9.0.0/16',
      }),
    );
    expect(opts).toMatchObject({
      peers: ['10.8.0.2', 'site-c.example:43114'],
      peerResolveMs: 5000,
    });
    expect(opts.acceptUnicastFrom?.('10.9.4.4')).toBe(true);
    expect(opts.acceptUnicastFrom?.('10.7.0.1')).toBe(false);
  });
});
