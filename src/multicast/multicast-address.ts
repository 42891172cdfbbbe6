/**
 * Group and interface resolution for the multicast endpoint: which IP family a group is, whether it
 * is multicast at all, and what to hand the socket API for "join / send on interface X".
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { MulticastError } from './multicast-error.js';

export type IpFamily = 4 | 6;

/** `os.networkInterfaces()`, injectable for tests. */
export type NetworkInterfacesFn = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** A validated group with everything the socket calls need. */
export interface ResolvedGroup {
  family: IpFamily;
  group: string;
  /** IPv6 multicast scope (RFC 4291 section 2.7: 1 interface-local, 2 link-local, 5 site-local, ...). */
  scope: number | null;
  /** The interface name, or null for the kernel's choice (python-can's INADDR_ANY / index 0). */
  interfaceName: string | null;
  /**
   * What libuv takes as "the interface" in addMembership / setMulticastInterface: the interface's
   * IPv4 address (`struct ip_mreq.imr_interface`), or `::%ifname` whose scope id libuv turns into
   * the IPv6 interface index (`ipv6_mreq.ipv6mr_interface`).
   */
  interfaceAddress: string | null;
  /** Destination for sends and, on Linux, the receive socket's bind address (with `%ifname` where the scope needs it). */
  scopedGroup: string;
}

/** RFC 5771: 224.0.0.0/4. */
function isIPv4Multicast(addr: string): boolean {
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** The first 16 bits of an IPv6 address (RFC 4291: multicast is ff00::/8, scope in the low nibble). */
function firstHextet(addr: string): number {
  const head = addr.split(':')[0] ?? '';
  return head === '' ? 0 : parseInt(head, 16);
}

/** Validates `group` and resolves `interfaceName`; throws ERR_INVALID_GROUP / ERR_UNKNOWN_INTERFACE. */
export function resolveGroup(
  group: string,
  interfaceName: string | null,
  networkInterfaces: NetworkInterfacesFn,
): ResolvedGroup {
  let family: IpFamily;
  let scope: number | null = null;
  if (isIPv4(group)) {
    if (!isIPv4Multicast(group)) {
      throw new MulticastError(
        'ERR_INVALID_GROUP',
        `${group} is not an IPv4 multicast address (224.0.0.0/4)`,
      );
    }
    family = 4;
  } else if (isIPv6(group) && !group.includes('%')) {
    const hextet = firstHextet(group);
    if (hextet >> 8 !== 0xff) {
      throw new MulticastError(
        'ERR_INVALID_GROUP',
        `${group} is not an IPv6 multicast address (ff00::/8)`,
      );
    }
    family = 6;
    scope = hextet & 0xf;
  } else {
    throw new MulticastError(
      'ERR_INVALID_GROUP',
      `${JSON.stringify(group)} is not an IP multicast address`,
    );
  }

  let interfaceAddress: string | null = null;
  if (interfaceName !== null) {
    let all: ReturnType<NetworkInterfacesFn>;
    try {
      all = networkInterfaces();
    } catch (err) {
      // e.g. netlink denied by a sandbox: a start-up failure with a cause, not an internal error.
      throw new MulticastError('ERR_MULTICAST_SOCKET', 'cannot list the network interfaces', err);
    }
    const entries = all[interfaceName];
    if (entries === undefined) {
      throw new MulticastError(
        'ERR_UNKNOWN_INTERFACE',
        `no network interface named ${interfaceName} (or it has no address)`,
      );
    }
    if (family === 4) {
      const v4 = entries.find((e) => e.family === 'IPv4');
      if (v4 === undefined) {
        throw new MulticastError(
          'ERR_UNKNOWN_INTERFACE',
          `interface ${interfaceName} has no IPv4 address`,
        );
      }
      interfaceAddress = v4.address;
    } else {
      interfaceAddress = `::%${interfaceName}`;
    }
  } else if (family === 6 && scope !== null && scope <= 2) {
    // Interface- and link-local groups exist once per link: the kernel needs to be told which.
    throw new MulticastError(
      'ERR_INVALID_OPTION',
      `group ${group} is link-local: an interface is required`,
    );
  }

  const needsScope = family === 6 && scope !== null && scope <= 2;
  return {
    family,
    group,
    scope,
    interfaceName,
    interfaceAddress,
    scopedGroup: needsScope ? `${group}%${interfaceName ?? ''}` : group,
  };
}

/** Every local address (IPv6 without `%scope`), to recognise datagrams this host sent. */
export function localAddresses(networkInterfaces: NetworkInterfacesFn): Set<string> {
  // Multicast looped back over `lo` arrives with the unspecified source address (seen on Linux
  // 6.1 and 6.18 with `224.0.0.0/4 dev lo`): only this host can send such a datagram.
  const set = new Set<string>(['0.0.0.0', '::']);
  for (const entries of Object.values(networkInterfaces())) {
    for (const e of entries ?? []) set.add(e.address);
  }
  return set;
}

/** An address as `localAddresses` spells it: without the `%scope` suffix. */
export function stripScope(address: string): string {
  const at = address.indexOf('%');
  return at < 0 ? address : address.slice(0, at);
}
