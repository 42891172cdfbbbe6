/**
 * Text of raw IPv4 / IPv6 addresses as inet_ntop(3) writes them (IPv6 compressed per RFC 5952),
 * so they compare equal to what `os.networkInterfaces()` lists. For the source address of every
 * received datagram: the last answer is kept, as datagrams mostly come from few senders.
 */

/** `a.b.c.d` of 4 bytes at `offset`. */
export function ipv4Text(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of 16 bytes at `offset`: lowercase, the longest run (>= 2) of zero groups as `::`. */
export function ipv6Text(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++)
    groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 4291 2.5.5.2 / inet_ntop: an IPv4-mapped address keeps its dotted tail.
  if (bestAt === 0 && bestLen === 5 && groups[5] === 0xffff) {
    return `::ffff:${ipv4Text(bytes, offset + 12)}`;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** Remembers the text of the last address it was asked for. */
export class AddressTextCache {
  #family = 0;
  readonly #last = new Uint8Array(16);
  #text = '';

  /** The text of the `family` (4 or 6) address at `offset` of `bytes`. */
  text(bytes: Uint8Array, offset: number, family: number): string {
    const n = family === 4 ? 4 : 16;
    if (family === this.#family) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (bytes[offset + i] !== this.#last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#text;
    }
    this.#family = family;
    this.#last.set(bytes.subarray(offset, offset + n));
    this.#text = family === 4 ? ipv4Text(bytes, offset) : ipv6Text(bytes, offset);
    return this.#text;
  }
}
