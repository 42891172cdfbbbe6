/**
 * What the interface monitor reads, and where from: sysfs for the link (index and flags, the two
 * files the monitor decides on; Documentation/ABI/testing/sysfs-class-net) and
 * `os.networkInterfaces()` for the addresses. Netlink (RTM_GETLINK/RTM_GETADDR) would give both
 * at once and push changes, but a few sysfs reads at the poll interval cost microseconds, and both
 * endpoints must poll anyway to retry a failed reopen or re-join; it does not pay for a second
 * native surface.
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
  // Two files per look, at every poll of every followed interface: nothing more is read (the CAN
  // socket takes the MTU from the socket itself, SIOCGIFMTU in the addon).
  return { ifindex, up: (flags & IFF_UP) !== 0 };
}

/** The real reader: sysfs and libuv's getifaddrs(3) (which lists interfaces up and running only). */
export const systemInterfaceReader: InterfaceReader = {
  link: readSysfsLink,
  addresses: networkInterfaces,
};
