/**
 * A classic BPF program (linux/filter.h) for the multicast receive socket that drops our own
 * looped-back datagrams in the kernel: UDP source port == our send socket's port AND source
 * address == one of this host's addresses. Multicast loop stays on (python-can programs on this
 * host must see our frames), so without it every datagram we send costs our own receive socket a
 * wake-up, a recvmsg and a 'message' callback just to be dropped as 'own_echo' (in CPU, about as
 * much again as sending it). Pure: builds bytes, attaches nothing.
 *
 * For a UDP socket the filter runs with the packet starting at the UDP header
 * (net/ipv4/udp.c and net/ipv6/udp.c `sk_filter_trim_cap(sk, skb, sizeof(struct udphdr))`), so
 * offset 0 is the source port; the IP header is reached through SKF_NET_OFF.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';
import { parseCidr } from '../net/cidr.js';

// linux/bpf_common.h and linux/filter.h.
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_ABS = 0x20;
const BPF_JEQ = 0x10;
const BPF_K = 0x00;
const SKF_NET_OFF = -0x100000;
/** Source address offset in the IPv4 header (RFC 791) and the IPv6 header (RFC 8200). */
const IPV4_SRC = 12;
const IPV6_SRC = 8;
/** Conditional jumps are 8-bit: keep the address list well inside what they can skip. */
export const MAX_FILTER_ADDRESSES = 24;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const ld = (size: number, offset: number): Insn => ({
  code: BPF_LD | size | BPF_ABS,
  jt: 0,
  jf: 0,
  k: offset,
});
const jeq = (k: number, jt: number, jf: number): Insn => ({
  code: BPF_JMP | BPF_JEQ | BPF_K,
  jt,
  jf,
  k,
});
const ret = (k: number): Insn => ({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k });

/** The address as 32-bit words in network order, as `ld [x]` loads them. */
function words(address: string): number[] {
  const bytes = parseCidr(address).bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    out.push(
      (((bytes[i] as number) << 24) |
        ((bytes[i + 1] as number) << 16) |
        ((bytes[i + 2] as number) << 8) |
        (bytes[i + 3] as number)) >>>
        0,
    );
  }
  return out;
}

export interface OwnEchoFilterSpec {
  family: 'IPv4' | 'IPv6';
  /** The local port our datagrams leave from. */
  sendPort: number;
  /** This host's addresses (any family; the other family's are ignored), without `%scope`. */
  localAddresses: Iterable<string>;
}

/**
 * The program as `struct sock_filter` records (host byte order), for the addon's
 * `attachSocketFilter`; null when there are too many local addresses for one program (then the
 * bus drops own echoes in JavaScript only, as it always also does).
 */
export function ownEchoFilterProgram(spec: OwnEchoFilterSpec): Uint8Array | null {
  const v4 = spec.family === 'IPv4';
  const addresses = [...new Set(spec.localAddresses)].filter((a) => (v4 ? isIPv4(a) : isIPv6(a)));
  if (addresses.length === 0 || addresses.length > MAX_FILTER_ADDRESSES) return null;
  const perAddress = v4 ? 1 : 8; // IPv4: one compare; IPv6: four loads and four compares
  const body: Insn[] = [];
  // Instruction indexes (relative jumps count the instructions skipped after the jump).
  const compares = addresses.length * perAddress;
  // Layout: ldh port; jeq port; [ld src]; compares...; ret accept; ret drop.
  const acceptAt = 2 + (v4 ? 1 : 0) + compares;
  const dropAt = acceptAt + 1;
  body.push(ld(BPF_H, 0));
  body.push(jeq(spec.sendPort, 0, acceptAt - 2));
  if (v4) {
    body.push(ld(BPF_W, SKF_NET_OFF + IPV4_SRC));
    for (const address of addresses) {
      const at = body.length;
      body.push(jeq(words(address)[0] as number, dropAt - at - 1, 0));
    }
  } else {
    addresses.forEach((address, n) => {
      const next = 2 + (n + 1) * perAddress; // the first instruction of the next address (or accept)
      words(address).forEach((word, w) => {
        body.push(ld(BPF_W, SKF_NET_OFF + IPV6_SRC + 4 * w));
        const at = body.length;
        body.push(jeq(word, w === 3 ? dropAt - at - 1 : 0, next - at - 1));
      });
    });
  }
  body.push(ret(0xffffffff)); // accept the whole datagram
  body.push(ret(0)); // drop
  const out = new Uint8Array(8 * body.length);
  const view = new DataView(out.buffer);
  const le = endianness() === 'LE'; // struct sock_filter is in host byte order
  body.forEach((insn, i) => {
    view.setUint16(8 * i, insn.code, le);
    view.setUint8(8 * i + 2, insn.jt);
    view.setUint8(8 * i + 3, insn.jf);
    view.setUint32(8 * i + 4, insn.k >>> 0, le);
  });
  return out;
}
