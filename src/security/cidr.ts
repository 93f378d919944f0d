/**
 * CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6) for the realm's sources. IPv4 ranges
 * are kept as IPv4-mapped IPv6 ranges (prefix + 96), so one comparison serves both families
 * and `::ffff:127.0.0.1` falls in `127.0.0.0/8`.
 * @module
 */
import { type Address16, isMappedV4, parseAddress, parseIPv4, parseIPv6 } from "./ip_address.ts";

export interface Cidr {
  /** The network address (host bits cleared), 16 bytes. */
  readonly network: Address16;
  /** Prefix length over the 16-byte form, 0..128. */
  readonly bits: number;
  /** Canonical text: `10.0.0.0/8`, `2001:db8::/32`. Two equal ranges have the same text. */
  readonly text: string;
}

/**
 * Parses `address/bits`, or a bare address (a single host). Host bits set below the prefix are
 * refused rather than silently cleared: `10.0.0.1/8` is more likely a typo than a wish.
 * @returns the range, or a sentence saying what is wrong
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf("/");
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const bitsText = slash === -1 ? undefined : text.slice(slash + 1);
  const v4 = parseIPv4(addrText);
  const v6 = v4 ? undefined : parseIPv6(addrText);
  if (!v4 && !v6) return `"${addrText}" is not an IPv4 or IPv6 address`;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return `the prefix length must be from 0 to ${max}, found "${bitsText}"`;
    bits = Number(bitsText);
  }
  const network = v4 ? parseAddress(addrText)! : v6!;
  const bits16 = v4 ? bits + 96 : bits;
  if (!hostBitsClear(network, bits16)) return `"${text}" has host bits set; the network is ${format(clear(network, bits16), bits16)}`;
  return { network, bits: bits16, text: format(network, bits16) };
}

/** Whether an address (any textual form) lies in the range; false for unparsable text. */
export function cidrContains(cidr: Cidr, address: string | Address16): boolean {
  const a = typeof address === "string" ? parseAddress(address) : address;
  if (!a) return false;
  const full = cidr.bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== cidr.network[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === cidr.network[full];
}

function hostBitsClear(a: Address16, bits: number): boolean {
  const c = clear(a, bits);
  return c.every((b, i) => b === a[i]);
}

function clear(a: Address16, bits: number): Address16 {
  const out = a.slice();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Canonical text: dotted quad for mapped IPv4, RFC 5952 compressed lowercase for IPv6. */
function format(a: Address16, bits: number): string {
  if (isMappedV4(a) && bits >= 96) return `${a[12]}.${a[13]}.${a[14]}.${a[15]}/${bits - 96}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((a[2 * i]! << 8) | a[2 * i + 1]!);
  // RFC 5952 §4.2: compress the longest run (of at least two) of zero words, the first if tied.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  const text = bestAt === -1 ? hex(words) : `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
  return `${text}/${bits}`;
}
