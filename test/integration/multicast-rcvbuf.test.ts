// The multicast receive buffer past net.core.rmem_max: SO_RCVBUFFORCE through the addon when the
// process may (CAP_NET_ADMIN, e.g. root), else what SO_RCVBUF got, with one warning.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { forceNativeReceiveBuffer } from '../../src/multicast/native-socket-options.js';
import { createNativeUdpSocket } from '../../src/multicast/native-udp-socket.js';
import type { UdpSocket } from '../../src/multicast/udp-socket.js';
import { setReceiveBuffer } from '../../src/multicast/open-sockets.js';

const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
const rmemDefault = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8'));
const requested = 2 * rmemMax;
const isRoot = process.getuid?.() === 0;
const sockets: UdpSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

function socket(): UdpSocket {
  const s = createNativeUdpSocket({ type: 'udp4' });
  sockets.push(s);
  s.bind('127.0.0.1', 0);
  return s;
}

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('multicast receive buffer', () => {
  if (!isRoot) console.log('multicast-rcvbuf: SO_RCVBUFFORCE case skipped: not root');
  it.skipIf(!isRoot)('goes past net.core.rmem_max with SO_RCVBUFFORCE as root', () => {
    const { logger, lines } = capture();
    const granted = setReceiveBuffer(socket(), requested, logger, true, forceNativeReceiveBuffer);
    expect(granted).toBe(requested);
    expect(lines().filter((l) => l.level === 40)).toEqual([]);
  });

  it('without the force it stays at net.core.rmem_max and warns once, naming the sysctl', () => {
    const { logger, lines } = capture();
    const granted = setReceiveBuffer(socket(), requested, logger, true, null);
    expect(granted).toBe(rmemMax);
    const warnings = lines().filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ requested, granted: rmemMax });
    expect(String(warnings[0]?.msg)).toContain('net.core.rmem_max');
  });

  it('a refused force (EPERM when unprivileged) keeps the capped size and warns', () => {
    const { logger, lines } = capture();
    const refuse = (): never => {
      throw Object.assign(new Error('setsockopt EPERM SO_RCVBUFFORCE'), { code: 'EPERM' });
    };
    const granted = setReceiveBuffer(socket(), requested, logger, true, refuse);
    expect(granted).toBe(rmemMax);
    expect(lines().filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines().some((l) => l.msg === 'SO_RCVBUFFORCE not allowed')).toBe(true);
  });

  it('0 keeps the kernel default (net.core.rmem_default), with no warning', () => {
    const { logger, lines } = capture();
    const granted = setReceiveBuffer(socket(), 0, logger, true, forceNativeReceiveBuffer);
    // The kernel starts a socket at rmem_default and reports it as it is; the granted size is in
    // the unit of a request (what SO_RCVBUF would double to that), as for every other size here.
    expect(granted).toBe(Math.floor(rmemDefault / 2));
    expect(lines().filter((l) => l.level === 40)).toEqual([]);
  });
});
