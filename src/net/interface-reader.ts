/**
 * What the interface monitor reads, and where from: sysfs for the link (index, flags, operstate,
 * carrier, MTU; Documentation/ABI/testing/sysfs-class-net) and `os.networkInterfaces()` for the
 * addresses. Netlink (RTM_GETLINK/RTM_GETADDR) would give both at once and push changes, but a few
 * sysfs reads at the poll interval cost microseconds, and both endpoints must poll anyway to retry
 * a failed reopen or re-join; it does not pay for a second native surface.
 */
import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { networkInterfaces } from 'node:os';
import { isInterfaceName } from './interface-name.js';

/** One interface's link as sysfs shows it. */
export interface InterfaceLink {
  /** /sys/class/net/NAME/ifindex: a new one each time an interface is created. */
  ifindex: number;
  /** IFF_UP (linux/if.h) in `flags`: administratively up. */
  up: boolean;
  mtu: number;
  /** RFC 2863 operational state ("up", "down", "unknown" for vcan, ...); "" when unreadable. */
  operstate: string;
  /** Physical link present; null when the kernel does not say (EINVAL while the interface is down). */
  carrier: boolean | null;
}

/** The link of the interface called `name`, or null when there is none (or it cannot be read). */
export type LinkReader = (name: string) => InterfaceLink | null;

/** Every interface that has an address, by name (the shape of `os.networkInterfaces()`). */
export type AddressReader = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Where the monitor looks; tests give a fake (test/support/fake-interfaces.ts). */
export interface InterfaceReader {
  link: LinkReader;
  addresses: AddressReader;
}

/** linux/if.h: `IFF_UP`. */
const IFF_UP = 0x1;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The default `LinkReader`. sysfs shows the network namespace it was mounted in (`ip netns exec`
 * mounts the namespace's own), which is why the monitor prefers an IPv6 link-local address's scope
 * id, read through netlink in our own namespace, for the index when the interface has one. Names
 * the kernel would refuse are never looked up: they are not interfaces, and they keep the path
 * inside /sys/class/net.
 */
export function readSysfsLink(name: string): InterfaceLink | null {
  if (process.platform !== 'linux' || !isInterfaceName(name)) return null;
  const dir = `/sys/class/net/${name}`;
  const ifindex = Number.parseInt(readText(`${dir}/ifindex`) ?? '', 10);
  const flags = Number.parseInt(readText(`${dir}/flags`) ?? '', 16);
  if (!Number.isInteger(ifindex) || ifindex <= 0 || !Number.isInteger(flags)) return null;
  const carrier = readText(`${dir}/carrier`);
  return {
    ifindex,
    up: (flags & IFF_UP) !== 0,
    mtu: Number.parseInt(readText(`${dir}/mtu`) ?? '0', 10),
    operstate: readText(`${dir}/operstate`) ?? '',
    carrier: carrier === null ? null : carrier === '1',
  };
}

/** The real reader: sysfs and libuv's getifaddrs(3) (which lists interfaces up and running only). */
export const systemInterfaceReader: InterfaceReader = {
  link: readSysfsLink,
  addresses: networkInterfaces,
};
