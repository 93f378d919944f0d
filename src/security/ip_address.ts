/**
 * IP addresses as 16 bytes, so IPv4 and IPv6 ranges compare with one routine. An IPv4 address
 * becomes its IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2, `::ffff:a.b.c.d`): a dual-stack
 * listener reports IPv4 clients as `::ffff:127.0.0.1`, and that must match `127.0.0.0/8`.
 * @module
 */

/** An address in IPv6 form (IPv4 mapped), 16 bytes. */
export type Address16 = Uint8Array;

/** Parses dotted-quad IPv4 (four decimal octets, no leading zeros beyond "0"). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Leading zeros are refused: some parsers read them as octal, so "010" is ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (RFC 4291 §2.2: `::` compression, an embedded IPv4 tail). */
export function parseIPv6(text: string): Uint8Array | undefined {
  // A zone ("fe80::1%eth0") names an interface, not part of the address.
  const zone = text.indexOf("%");
  const addr = zone === -1 ? text : text.slice(0, zone);
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Any textual address (IPv4, IPv6, bracketed IPv6) as 16 bytes; undefined if it is not one. */
export function parseAddress(text: string): Address16 | undefined {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseIPv4(t);
  if (v4) return mapped(v4);
  return parseIPv6(t);
}

/** `::ffff:a.b.c.d`. */
export function mapped(v4: Uint8Array): Address16 {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

/** Whether a 16-byte address is an IPv4-mapped one. */
export function isMappedV4(a: Address16): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}
