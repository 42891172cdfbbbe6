import { describe, expect, it } from 'vitest';
import { deriveSenderId } from '../../../src/config/sender-id.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('deriveSenderId', () => {
  it.each([
    ['gateway-1', 'can0', 'gateway-1/can0'],
    ['Gateway-1', 'can0', 'gateway-1/can0'],
    ['gw.example.org.', 'vcan1', 'gw.example.org/vcan1'],
    ['  box ', 'can0', 'box/can0'],
    ['', 'can0', 'localhost/can0'],
  ])('derives from host %j and interface %j: %j', (host, iface, id) => {
    expect(deriveSenderId(host, iface)).toBe(id);
  });

  it('is stable: the same inputs give the same id', () => {
    expect(deriveSenderId('box', 'can0')).toBe(deriveSenderId('box', 'can0'));
  });

  it('differs per interface and per host', () => {
    const ids = new Set([
      deriveSenderId('box', 'can0'),
      deriveSenderId('box', 'can1'),
      deriveSenderId('box', 'vcan0'),
      deriveSenderId('other', 'can0'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('is what loadConfig uses when sender.id is empty', () => {
    const cfg = loadConfig({ env: { CMB_CAN_INTERFACE: 'vcan3' }, hostname: 'Box' });
    expect(cfg.sender.id).toBe('box/vcan3');
  });

  it('is not used when sender.id is set', () => {
    const cfg = loadConfig({ env: { CMB_SENDER_ID: 'bridge-a' }, hostname: 'Box' });
    expect(cfg.sender.id).toBe('bridge-a');
  });
});
