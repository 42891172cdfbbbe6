/** Bus state from error frames (linux/can/error.h) and the TX side's bus-off policy. */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { BusStateWatch, busStateOf } from '../../../src/bridge/bus-state.js';
import { makeFrame } from '../../../src/frame.js';
import type { CanFrame } from '../../../src/frame.js';
import { CanSocket } from '../../../src/socketcan/can-socket.js';
import { FakeKernel } from '../../support/fake-kernel.js';
import { until } from '../../support/until.js';

/** An error frame of class `cls` (linux/can/error.h) with data[1] = `crtl`. */
const errorFrame = (cls: number, crtl = 0): CanFrame =>
  makeFrame({
    arbitrationId: cls,
    isExtendedId: false,
    isErrorFrame: true,
    data: Uint8Array.of(0, crtl, 0, 0, 0, 0, 0, 0),
  });
const data = (id: number) =>
  makeFrame({ arbitrationId: id, isExtendedId: false, data: Uint8Array.of(1) });

const sockets: CanSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

function setup() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  // The real CanSocket on the native-level fake; the interface polled often (link up is polled).
  const kernel = new FakeKernel();
  kernel.addInterface('vcan0');
  const can = new CanSocket(
    { interface: 'vcan0', fd: true, interfacePollMs: 10 },
    { binding: kernel.binding(), probe: kernel.probe },
  );
  sockets.push(can);
  const watch = new BusStateWatch({ can, logger: pino({ level: 'info' }, sink) });
  void can.start();
  watch.start();
  const states = () => lines.filter((l) => l.msg === 'CAN bus state').map((l) => l.state);
  return { kernel, can, watch, lines, states };
}

describe('busStateOf', () => {
  it.each([
    ['bus-off', errorFrame(0x40), 'bus-off'],
    ['restarted', errorFrame(0x100), 'error-active'],
    ['rx passive', errorFrame(0x4, 0x10), 'error-passive'],
    ['tx passive', errorFrame(0x4, 0x20), 'error-passive'],
    ['rx warning', errorFrame(0x4, 0x04), 'error-warning'],
    ['tx warning', errorFrame(0x4, 0x08), 'error-warning'],
    ['back to active', errorFrame(0x4, 0x40), 'error-active'],
    ['overflow only', errorFrame(0x4, 0x01), null],
    ['protocol violation', errorFrame(0x8), null],
    ['data frame', data(0x40), null],
  ])('%s', (_name, frame, expected) => {
    expect(busStateOf(frame)).toBe(expected);
  });
});

describe('BusStateWatch', () => {
  it('logs each transition once and ignores repeats', () => {
    const { kernel, watch, states } = setup();
    kernel.last.receive([errorFrame(0x4, 0x08), errorFrame(0x4, 0x08), data(1)]);
    kernel.last.receive([errorFrame(0x4, 0x20), errorFrame(0x4, 0x20)]);
    kernel.last.receive([errorFrame(0x4, 0x40)]);
    expect(states()).toEqual(['error-warning', 'error-passive', 'error-active']);
    expect(watch.transitions).toBe(3);
  });

  it('drops the TX backlog at bus-off and every frame until restarted, counted as bus_off', () => {
    const { kernel, can, watch, states } = setup();
    kernel.setLink('vcan0', false);
    can.send(data(1));
    can.send(data(2));
    // Frames queued while the interface is down stay queued; the socket still reads.
    kernel.last.receive([errorFrame(0x40)]);
    expect(watch.state).toBe('bus-off');
    expect(can.counters).toMatchObject({ txQueued: 0, txDropped: { bus_off: 2 } });
    expect(can.send(data(3))).toBe(false);
    // A passive or warning report does not end bus-off; a restart does.
    kernel.last.receive([errorFrame(0x4, 0x20)]);
    expect(watch.state).toBe('bus-off');
    kernel.last.receive([errorFrame(0x100)]);
    expect(watch.state).toBe('error-active');
    expect(can.send(data(4))).toBe(true);
    expect(can.counters).toMatchObject({ txQueued: 1, txDropped: { bus_off: 3 } });
    expect(states()).toEqual(['bus-off', 'error-active']);
  });

  it('treats the interface set up again (or re-created) as a controller restart', async () => {
    const { kernel, can, watch } = setup();
    kernel.last.receive([errorFrame(0x40)]);
    kernel.setLink('vcan0', false);
    expect(watch.state).toBe('bus-off');
    kernel.setLink('vcan0', true);
    await until(() => can.state === 'up', 'the CAN side up');
    expect(watch.state).toBe('error-active');
    expect(can.send(data(1))).toBe(true);
  });

  it('stops listening on close', () => {
    const { kernel, can, watch } = setup();
    watch.close();
    kernel.last.receive([errorFrame(0x40)]);
    expect(watch.state).toBe('error-active');
    expect(can.send(data(1))).toBe(true);
  });
});
