/** Looks a network interface up by name in sysfs (Documentation/ABI/testing/sysfs-class-net). */
import { readFileSync } from 'node:fs';
import { isInterfaceName } from './interface-name.js';

/** The kernel's interface-name rule (dev_valid_name); also keeps sysfs paths safe. */
export { isInterfaceName };

export interface InterfaceInfo {
  ifindex: number;
  /** IFF_UP (linux/if.h) in `flags`: administratively up. */
  up: boolean;
  mtu: number;
}

/** Returns the interface's current state, or null when no interface has that name. */
export type InterfaceProbe = (name: string) => InterfaceInfo | null;

/** linux/if.h: `IFF_UP`. */
const IFF_UP = 0x1;

/** The default probe: three small sysfs reads (microseconds; run at the poll interval). */
export function sysfsInterfaceProbe(name: string): InterfaceInfo | null {
  if (!isInterfaceName(name)) return null;
  const dir = `/sys/class/net/${name}`;
  try {
    const flags = Number.parseInt(readFileSync(`${dir}/flags`, 'utf8'), 16);
    const ifindex = Number.parseInt(readFileSync(`${dir}/ifindex`, 'utf8'), 10);
    const mtu = Number.parseInt(readFileSync(`${dir}/mtu`, 'utf8'), 10);
    return { ifindex, up: (flags & IFF_UP) !== 0, mtu };
  } catch {
    return null;
  }
}
