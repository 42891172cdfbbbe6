import { describe, expect, it } from 'vitest';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import type { RawCanSocketOptions } from '../../../src/native/native-binding.js';
import { loadNativeBinding } from '../../../src/native/native-binding.js';
import { CAN_RECORD_LAYOUT } from '../../../src/socketcan/record-layout.js';

const { RawCanSocket } = loadNativeBinding();

function openError(
  ifname: string,
  options: RawCanSocketOptions = {},
): NodeJS.ErrnoException & { interface?: string } {
  try {
    new RawCanSocket(ifname, options).close();
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error(`opening ${ifname} did not fail`);
}

describe('the addon CAN record layout', () => {
  it('is what src/socketcan/record-layout.ts says (record offsets, TX slot, TX chunk)', () => {
    expect(loadNativeBinding().layout).toEqual(CAN_RECORD_LAYOUT);
  });
});

describe('can_socket addon on a host (no CAN interface to bind)', () => {
  // Without CONFIG_CAN socket(PF_CAN) fails with EAFNOSUPPORT; with it, "lo" is no CAN device.
  it('fails to open a non-CAN interface with a Node-style system error', () => {
    const err = openError('lo');
    expect(['EAFNOSUPPORT', 'ENODEV']).toContain(err.code);
    expect(err.errno).toBe(err.code === 'EAFNOSUPPORT' ? -97 : -19);
    expect(err.syscall).toBe(err.code === 'EAFNOSUPPORT' ? 'socket' : 'bind');
    expect(err.interface).toBe('lo');
    expect(err.message).toMatch(new RegExp(`^${err.syscall} ${err.code} lo: `));
  });

  it('fails to open a missing interface with ENODEV or EAFNOSUPPORT', () => {
    const err = openError(`nocan${process.pid % 10000}`);
    expect(['EAFNOSUPPORT', 'ENODEV']).toContain(err.code);
    expect(err.message).toContain(`nocan${process.pid % 10000}`);
  });

  it('CanSocket.start() rejects with ERR_CAN_OPEN carrying the system error, and stays closable', async () => {
    const sock = new CanSocket({ interface: 'lo' });
    const err: unknown = await sock.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      name: 'BridgeError',
      code: 'ERR_CAN_OPEN',
      sysCode: expect.stringMatching(/^(EAFNOSUPPORT|ENODEV)$/) as unknown,
      syscall: expect.stringMatching(/^(socket|bind)$/) as unknown,
      cause: expect.objectContaining({
        code: expect.stringMatching(/^(EAFNOSUPPORT|ENODEV)$/) as unknown,
      }) as unknown,
    });
    // lo exists (sysfs), so an ENODEV from bind says it is not a CAN interface.
    expect((err as Error).message).toMatch(
      /^cannot open CAN interface lo: .+ \((lo exists but is not a CAN interface|this kernel has no SocketCAN)/,
    );
    expect(sock.state).toBe('idle');
    await sock.close();
    expect(sock.state).toBe('closed');
  });

  it.each([
    ['no arguments', []],
    ['a number for the name', [5, {}]],
    ['no options object', ['vcan0']],
    ['an empty name', ['', {}]],
    ['a 16-byte name (IFNAMSIZ)', ['a234567890123456', {}]],
  ])('throws a coded TypeError for %s', (_what, args) => {
    const Ctor = RawCanSocket as unknown as new (...a: unknown[]) => unknown;
    expect(() => new Ctor(...args)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_INVALID_ARG_/) as unknown }),
    );
  });

  it.each([
    ['fdFrames', 1],
    ['loopback', 'yes'],
    ['errMask', -1],
    ['errMask', 0x20000000],
    ['batchSize', 0],
    ['batchSize', 1025],
    ['receiveBufferBytes', 1.5],
    ['filters', [1, 2]],
    ['filters', new Uint32Array(3)],
    ['filters', new Uint32Array(2 * 513)],
  ])('rejects option %s = %o before any syscall', (key, value) => {
    const err = openError('lo', { [key]: value });
    expect(err).toBeInstanceOf(TypeError);
    expect(err.code).toMatch(/^ERR_INVALID_ARG_/);
  });

  it('does not crash when its methods are called on a foreign object', () => {
    const proto = RawCanSocket.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of ['send', 'close', 'startReading', 'stopReading', 'waitWritable']) {
      expect(() => proto[name]?.call({}, new Uint8Array(80), 1)).toThrow();
    }
  });
});
