/**
 * A classic BPF program (linux/filter.h) for the unicast receive socket of the peers: it drops
 * every datagram whose IP destination is a multicast address, so the socket gets unicast only.
 *
 * Why it is needed: the unicast socket is bound to the wildcard address on the group's port, and
 * Linux delivers a multicast datagram to every socket on that port bound to the wildcard or the
 * group whose `ip_mc_sf_allow` passes; for a socket that joined nothing that is IP_MULTICAST_ALL,
 * on by default (net/ipv4/igmp.c `ip_mc_sf_allow` returns `inet->mc_all`; IPv6 likewise with
 * IPV6_MULTICAST_ALL, net/ipv6/mcast.c `inet6_mc_check`). Our group socket (or a python-can
 * program) joining the group on this host would then make the unicast socket get every group
 * datagram a second time. The kernel counts the datagrams this filter drops in the socket's
 * drops (net/ipv4/udp.c `udp_queue_rcv_one_skb`), so the bus does not report that socket's drops
 * as overflow. Pure: builds bytes, attaches nothing.
 *
 * For a UDP socket the filter runs with the packet at the UDP header (net/ipv4/udp.c and
 * net/ipv6/udp.c `sk_filter_trim_cap(sk, skb, sizeof(struct udphdr))`); the IP header is reached
 * through SKF_NET_OFF.
 */
import { endianness } from 'node:os';

// linux/bpf_common.h and linux/filter.h.
const BPF_LD_B_ABS = 0x00 | 0x10 | 0x20;
const BPF_ALU_AND_K = 0x04 | 0x50 | 0x00;
const BPF_JMP_JEQ_K = 0x05 | 0x10 | 0x00;
const BPF_RET_K = 0x06 | 0x00;
const SKF_NET_OFF = -0x100000;
/** First byte of the destination address: IPv4 header offset 16 (RFC 791), IPv6 24 (RFC 8200). */
const IPV4_DST = 16;
const IPV6_DST = 24;

type Insn = [code: number, jt: number, jf: number, k: number];

/** The program as `struct sock_filter` records (host byte order), for `attachFilter`. */
export function unicastOnlyFilterProgram(family: 4 | 6): Uint8Array {
  const insns: Insn[] =
    family === 4
      ? [
          [BPF_LD_B_ABS, 0, 0, SKF_NET_OFF + IPV4_DST],
          // RFC 5771: 224.0.0.0/4, the first byte's high nibble 1110.
          [BPF_ALU_AND_K, 0, 0, 0xf0],
          [BPF_JMP_JEQ_K, 1, 0, 0xe0],
          [BPF_RET_K, 0, 0, 0xffffffff],
          [BPF_RET_K, 0, 0, 0],
        ]
      : [
          [BPF_LD_B_ABS, 0, 0, SKF_NET_OFF + IPV6_DST],
          // RFC 4291 section 2.7: ff00::/8.
          [BPF_JMP_JEQ_K, 1, 0, 0xff],
          [BPF_RET_K, 0, 0, 0xffffffff],
          [BPF_RET_K, 0, 0, 0],
        ];
  const out = new Uint8Array(8 * insns.length);
  const view = new DataView(out.buffer);
  const le = endianness() === 'LE';
  insns.forEach(([code, jt, jf, k], i) => {
    view.setUint16(8 * i, code, le);
    view.setUint8(8 * i + 2, jt);
    view.setUint8(8 * i + 3, jf);
    view.setUint32(8 * i + 4, k >>> 0, le);
  });
  return out;
}
