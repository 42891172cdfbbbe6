/**
 * The one error a failed CAN open rejects with (ERR_CAN_OPEN, coded where it happens: in
 * `CanSocket.start()`), its message one line with the cause and what to do about it; the
 * system error's code, errno and syscall ride along (BridgeError takes them from the cause).
 */
import { BridgeError, errorCode } from '../errors.js';

/** What to do about the errno of a failed CAN open. */
const OPEN_HINTS: Record<string, string> = {
  EAFNOSUPPORT: 'this kernel has no SocketCAN: load the can and can_raw modules',
  ENODEV: 'no such interface: list the CAN ones with `ip -br link show type can` / `type vcan`',
  EPERM: 'not permitted',
  EACCES: 'not permitted',
};

/**
 * The hint for a failed open. The kernel answers ENODEV both for a missing interface and for one
 * that is not CAN (net/can/raw.c raw_bind: `if (dev->type != ARPHRD_CAN) { err = -ENODEV; ...}`),
 * so `lo` would be reported as missing: look whether it exists.
 */
function openHint(code: string | undefined, iface: string, exists: (name: string) => boolean) {
  if (code === 'ENODEV' && exists(iface)) {
    return `${iface} exists but is not a CAN interface: list the CAN ones with \`ip -br link show type can\` / \`type vcan\``;
  }
  return OPEN_HINTS[code ?? ''];
}

/** ERR_CAN_OPEN for `err` (the addon's system error, or ERR_CAN_ADDON) opening `iface`. */
export function canOpenError(
  iface: string,
  err: unknown,
  exists: (name: string) => boolean,
): BridgeError {
  const reason = err instanceof Error ? err.message : String(err);
  const hint = openHint(errorCode(err), iface, exists);
  const why = hint === undefined ? reason : `${reason} (${hint})`;
  return new BridgeError('ERR_CAN_OPEN', `cannot open CAN interface ${iface}: ${why}`, {
    cause: err,
  });
}
