/**
 * A scripted `InterfaceReader` (src/net/interface-reader.ts): links and addresses live in maps the
 * test changes between the monitor's looks.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { InterfaceLink, InterfaceReader } from '../../src/net/interface-reader.js';

/** A link as sysfs would show it. */
export function fakeLink(ifindex: number, up = true): InterfaceLink {
  return { ifindex, up };
}

export function v4(address: string): NetworkInterfaceInfo {
  return {
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '',
    internal: false,
    cidr: null,
  };
}

export function v6(address: string, scopeid = 0): NetworkInterfaceInfo {
  return { address, netmask: '', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid };
}

/** A reader over links only (CAN interfaces have no addresses), e.g. `FakeKernel.interfaces`. */
export function linkMapReader(
  links: ReadonlyMap<string, { ifindex: number; up: boolean }>,
): InterfaceReader {
  return {
    link: (name) => {
      const l = links.get(name);
      return l === undefined ? null : fakeLink(l.ifindex, l.up);
    },
    addresses: () => ({}),
  };
}

/** A host whose links and addresses the test changes. */
export class FakeInterfaces implements InterfaceReader {
  readonly links = new Map<string, InterfaceLink>();
  entries: Record<string, NetworkInterfaceInfo[]> = {};
  /** Set to make the next `addresses()` calls throw. */
  failure: Error | null = null;
  /** How many times the addresses were listed. */
  listings = 0;

  readonly link = (name: string): InterfaceLink | null => {
    const l = this.links.get(name);
    return l === undefined ? null : { ...l };
  };

  readonly addresses = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
    this.listings++;
    if (this.failure !== null) throw this.failure;
    return structuredClone(this.entries);
  };

  /** `ip link add` (+ `ip addr add` and `ip link set up` when given addresses). */
  add(name: string, ifindex: number, ...addresses: NetworkInterfaceInfo[]): void {
    this.links.set(name, fakeLink(ifindex));
    if (addresses.length > 0) this.entries[name] = addresses;
  }

  /** `ip link del`. */
  remove(name: string): void {
    this.links.delete(name);
    delete this.entries[name];
  }

  /** `ip link set down` (getifaddrs no longer lists it); `up` sets it up again. */
  setUp(name: string, up: boolean, ...addresses: NetworkInterfaceInfo[]): void {
    const l = this.links.get(name);
    if (l !== undefined) this.links.set(name, { ...l, up });
    if (up) this.entries[name] = addresses;
    else delete this.entries[name];
  }
}
