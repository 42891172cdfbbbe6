/**
 * The file descriptor behind a Node `dgram.Socket`, for a socket option Node has no API for
 * (SO_ATTACH_FILTER). Node keeps the libuv handle under an internal `state symbol` (lib/dgram.js
 * `kStateSymbol`) and its UDP wrap has an `fd` getter (src/udp_wrap.cc); neither is public, so
 * anything unexpected gives null and the caller does without.
 */
import type { Socket } from 'node:dgram';

export function udpSocketFd(socket: Socket): number | null {
  const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (sym === undefined) return null;
  const state = (socket as unknown as Record<symbol, unknown>)[sym] as
    { handle?: { fd?: unknown } | null } | undefined;
  const fd = state?.handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}
