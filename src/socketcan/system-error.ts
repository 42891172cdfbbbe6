/** Node-style system errors for the CAN side (`code`, `errno`, `syscall`, `interface`). */
import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!NAMES.has(value)) NAMES.set(value, name);
}

/** The errno name ("EAGAIN") of an errno value of either sign (Node's `err.errno` is negative). */
export function errnoName(errno: number): string {
  return NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

export interface CanSystemError extends NodeJS.ErrnoException {
  interface: string;
}

/** An error shaped like the addon's (native/src/sys_error.cc): "sendmmsg ENETDOWN vcan0: ...". */
export function canSystemError(errno: number, syscall: string, iface: string): CanSystemError {
  const code = errnoName(errno);
  const err = new Error(`${syscall} ${code} ${iface}`) as CanSystemError;
  err.code = code;
  err.errno = -Math.abs(errno);
  err.syscall = syscall;
  err.interface = iface;
  return err;
}
