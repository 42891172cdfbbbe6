/**
 * Which strings name a Linux network interface: the kernel's rule (net/core/dev.c
 * dev_valid_name), checked on the UTF-8 bytes the name becomes in `struct ifreq`.
 */

/** linux/if.h: `IFNAMSIZ`, the size of a name including its terminating NUL. */
export const IFNAMSIZ = 16;

/** Most UTF-8 bytes of an interface name: `IFNAMSIZ - 1`. */
export const IFNAME_MAX_BYTES = IFNAMSIZ - 1;

/** What a valid name looks like, completing "expected ...". */
export const INTERFACE_NAME_TEXT = `a network interface name (1 to ${IFNAME_MAX_BYTES} bytes in UTF-8; no "/", ":", NUL or whitespace; not "." or "..")`;

/**
 * The bytes the kernel's isspace() takes for whitespace (lib/ctype.c `_ctype`: 9 to 13, 32, and
 * 160, Latin-1's no-break space, which is also the second byte of e.g. "à" and U+00A0 in UTF-8).
 */
function isKernelSpace(byte: number): boolean {
  return (byte >= 9 && byte <= 13) || byte === 32 || byte === 160;
}

const encoder = new TextEncoder();

/**
 * Why `name` is not a valid interface name ("" when `INTERFACE_NAME_TEXT` says it all), or
 * undefined when it is one. The kernel's rule: 1 to IFNAMSIZ - 1 bytes, not "." or "..", no '/',
 * ':' or isspace() byte (dev_valid_name). NUL would end the C string early (so "vcan0\0x" would
 * name vcan0), and Unicode whitespace (U+2000 and the like) is refused too, though the kernel's
 * byte-wise check lets some of it through.
 */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return '';
  if (name.includes('\0')) return 'it contains NUL';
  if (name.includes('/')) return 'it contains "/"';
  if (name.includes(':')) return 'it contains ":"';
  if (/\s/u.test(name)) return 'it contains whitespace';
  if (/\p{Cs}/u.test(name)) return 'it contains a lone UTF-16 surrogate (not Unicode text)';
  const bytes = encoder.encode(name);
  if (bytes.some(isKernelSpace)) {
    return 'its UTF-8 holds the byte 0xA0, which the kernel takes for a space';
  }
  if (bytes.length > IFNAME_MAX_BYTES) return `${bytes.length} bytes in UTF-8 is too long`;
  return undefined;
}

/** Whether the kernel accepts `name` as an interface name (and it is safe in a sysfs path). */
export function isInterfaceName(name: string): boolean {
  return interfaceNameProblem(name) === undefined;
}
