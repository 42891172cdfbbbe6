/**
 * Source networks in CIDR notation (RFC 4632, RFC 4291 section 2.3) for `multicast.allowSources`.
 * Pure parsing and matching of address text; no sockets.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { BridgeError } from '../errors.js';

/** One parsed network. */
export interface Cidr {
  /** As written (trimmed), for messages and `check-config`. */
  readonly text: string;
  readonly family: 4 | 6;
  /** The network address in network byte order (4 or 16 bytes), host bits cleared. */
  readonly bytes: Uint8Array;
  /** Prefix length in bits: 0..32 (IPv4) or 0..128 (IPv6); a bare address is /32 or /128. */
  readonly prefix: number;
}

/** Thrown by `parseCidr` (code ERR_CIDR); `message` says what is wrong and what is expected. */
export class CidrSyntaxError extends BridgeError {
  constructor(
    readonly text: string,
    /** What is wrong, without the network text. */
    readonly reason: string,
  ) {
    super('ERR_CIDR', `invalid network ${JSON.stringify(text)}: ${reason}`);
    this.name = 'CidrSyntaxError';
  }
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map((part) => Number.parseInt(part, 10)));
}

/** The 16 bytes of a valid IPv6 address text (RFC 4291 section 2.2, all three forms). */
function ipv6Bytes(text: string): Uint8Array {
  let groups = text;
  const bytes = new Uint8Array(16);
  // Form 3: the last 32 bits as dotted IPv4 ("::ffff:192.0.2.1").
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  let ipv4Tail: Uint8Array | undefined;
  if (tail.includes('.')) {
    ipv4Tail = ipv4Bytes(tail);
    groups = `${groups.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = groups.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const parts = [
    ...headParts,
    ...new Array<string>(8 - headParts.length - restParts.length).fill('0'),
    ...restParts,
  ];
  parts.forEach((part, i) => {
    const value = Number.parseInt(part, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  if (ipv4Tail) bytes.set(ipv4Tail, 12);
  return bytes;
}

function clearHostBits(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Parses "192.168.1.0/24", "fd00::/8" or a bare address (a single host). */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  if (family === 0) {
    throw new CidrSyntaxError(
      text,
      `${JSON.stringify(address)} is not an IPv4 or IPv6 address; expected e.g. "192.168.1.0/24" or "fd00::/8"`,
    );
  }
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix <= maxPrefix)) {
      throw new CidrSyntaxError(
        text,
        `the prefix length ${JSON.stringify(prefixText)} is not a number from 0 to ${maxPrefix}`,
      );
    }
  }
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  return { text, family, bytes: clearHostBits(bytes, prefix), prefix };
}

/** The bytes of an address as a socket reports it; IPv4-mapped IPv6 counts as IPv4; zone ids are ignored. */
function addressBytes(address: string): Uint8Array | undefined {
  const plain = address.split('%')[0] ?? '';
  if (isIPv4(plain)) return ipv4Bytes(plain);
  if (!isIPv6(plain)) return undefined;
  const bytes = ipv6Bytes(plain);
  // RFC 4291 section 2.5.5.2: ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
  const mapped =
    bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.subarray(12) : bytes;
}

/** Whether `address` (as in a datagram's `rinfo.address`) lies in `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const bytes = addressBytes(address);
  if (bytes?.length !== cidr.bytes.length) return false;
  const masked = clearHostBits(bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.bytes[i]);
}

/** A source check for received datagrams: an empty list allows every source. */
export function createSourceFilter(cidrs: readonly Cidr[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => true;
  return (address) => cidrs.some((cidr) => cidrContains(cidr, address));
}
