// The daemon turns the CAN part of the configuration into CanSocket options.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { canSocketOptions } from '../../../src/daemon/daemon.js';

const config = (overrides: Record<string, string>) =>
  loadConfig({ env: {}, hostname: 'h', overrides: { 'can.interface': 'vcan0', ...overrides } });

describe('canSocketOptions', () => {
  it('asks for the configured receive buffer (default 4 MiB)', () => {
    expect(canSocketOptions(config({})).receiveBufferBytes).toBe(4 * 1024 * 1024);
    expect(canSocketOptions(config({ 'can.receiveBufferBytes': '65536' })).receiveBufferBytes).toBe(
      65536,
    );
  });

  it('passes 0 through, which keeps the kernel default (not CanSocket default of 1 MiB)', () => {
    expect(canSocketOptions(config({ 'can.receiveBufferBytes': '0' })).receiveBufferBytes).toBe(0);
  });
});
