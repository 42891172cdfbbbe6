/**
 * Unicast peers as written in `multicast.peers` and `--peer`: `HOST[:PORT]`, where HOST is an IPv4
 * address, an IPv6 address in brackets (RFC 3986 section 3.2.2, as in URLs: `[fd00::2]:43113`) or
 * a DNS name (RFC 1123 section 2.1 labels). Pure parsing; resolving names is peer-resolver.ts's job.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { BridgeError } from '../errors.js';
import { parseCidr } from '../net/cidr.js';
import { ipv4Text, ipv6Text } from './ip-text.js';

/** One parsed peer. */
export interface PeerAddress {
  /** As written (trimmed), for logs, stats and metrics labels. */
  readonly text: string;
  /** The address (IPv6 without brackets, canonical text) or the DNS name. */
  readonly host: string;
  /** 4 or 6 for an address, 'name' for a DNS name (resolved at start and every peerResolveMs). */
  readonly kind: 4 | 6 | 'name';
  /** The UDP port; the bus's own port when the text has none. */
  readonly port: number | null;
}

/** Thrown by `parsePeer` (code ERR_PEER); `reason` says what is wrong without the text. */
export class PeerSyntaxError extends BridgeError {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super('ERR_PEER', `invalid peer ${JSON.stringify(text)}: ${reason}`);
    this.name = 'PeerSyntaxError';
  }
}

export const PEER_SYNTAX =
  'HOST[:PORT]: an IPv4 address, an IPv6 address in brackets or a DNS name, e.g. "10.1.0.7", "[fd00::7]:43113", "site-b.example"';

// RFC 1123 section 2.1: letters, digits and hyphens, not at either end of a label, 63 bytes a label.
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** An address in the text inet_ntop(3) writes, which is how received datagrams name their source. */
export function canonicalAddress(address: string): string {
  const bytes = parseCidr(address).bytes;
  return bytes.length === 4 ? ipv4Text(bytes, 0) : ipv6Text(bytes, 0);
}

/** Parses one `HOST[:PORT]`; throws PeerSyntaxError. */
export function parsePeer(input: string): PeerAddress {
  const text = input.trim();
  let host: string;
  let portText: string | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new PeerSyntaxError(text, 'an IPv6 address needs its closing "]"');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) {
        throw new PeerSyntaxError(text, 'expected ":PORT" after the "]"');
      }
      portText = rest.slice(1);
    }
    if (!isIPv6(host) || host.includes('%')) {
      throw new PeerSyntaxError(text, `${JSON.stringify(host)} is not an IPv6 address`);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) {
      throw new PeerSyntaxError(text, 'an IPv6 address goes in brackets, e.g. "[fd00::7]:43113"');
    }
    const at = text.indexOf(':');
    host = at < 0 ? text : text.slice(0, at);
    if (at >= 0) portText = text.slice(at + 1);
  }
  let port: number | null = null;
  if (portText !== null) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw new PeerSyntaxError(
        text,
        `the port ${JSON.stringify(portText)} is not a number from 1 to 65535`,
      );
    }
  }
  if (isIPv6(host)) return { text, host: canonicalAddress(host), kind: 6, port };
  if (isIPv4(host)) return { text, host: canonicalAddress(host), kind: 4, port };
  // A dotted-quad look-alike that is not an address ("10.0.0.300") is a typo, not a name.
  if (/^[\d.]+$/.test(host)) {
    throw new PeerSyntaxError(text, `${JSON.stringify(host)} is not an IPv4 address`);
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === '' || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new PeerSyntaxError(text, `expected ${PEER_SYNTAX}`);
  }
  return { text, host: name, kind: 'name', port };
}
