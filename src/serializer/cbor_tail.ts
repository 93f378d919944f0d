/**
 * Cutting the trailing elements out of an encoded CBOR message (RFC 8949), for payload
 * forwarding without re-encoding (types.ts `RawTail`). Definite lengths only, and no tags or
 * unassigned simple values: cbor-x gives some of those meaning through state kept across the
 * message (value sharing, tags 28/29; packed values, tags 51/6 and simple values 0-19), which
 * a cut-out part would lose. Such a message is simply encoded afresh.
 * @module
 */
import { isWellFormedUtf8 } from "./utf8_check.ts";

/** Argument of the head at `p` and the position after it; undefined for what is not handled. */
function head(b: Uint8Array, p: number): { major: number; value: number; next: number } | undefined {
  const ib = b[p];
  if (ib === undefined) return undefined;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (ai < 24) return { major, value: ai, next: p + 1 };
  if (ai === 24) return { major, value: b[p + 1]!, next: p + 2 };
  if (ai === 25) return { major, value: (b[p + 1]! << 8) | b[p + 2]!, next: p + 3 };
  if (ai === 26) return { major, value: ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!), next: p + 5 };
  if (ai === 27) {
    const hi = ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
    const lo = ((b[p + 5]! << 24) >>> 0) + ((b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!);
    // A length this large cannot be in a frame anyway; numbers (majors 0, 1, 7) ignore it.
    return { major, value: hi * 2 ** 32 + lo, next: p + 9 };
  }
  return undefined; // 28-30 reserved, 31 indefinite length
}

/**
 * Position just past `n` consecutive items starting at `p`; -1 where this skipper gives up
 * (see above) and on containers nested more than `maxDepth` deep. With `strict` (the items will
 * be forwarded as they are, for cbor-x to decode only where a peer needs values), also -1 on
 * text strings that are not well-formed UTF-8 and on map keys cbor-x refuses to decode (arrays,
 * maps, byte strings): whatever passes then decodes as it would have in the whole frame.
 */
export function skipCborItems(b: Uint8Array, p: number, n: number, strict = false, maxDepth = Infinity): number {
  let pending = n;
  let inMap = false;
  // The enclosing containers, innermost last: pending count * 2, plus 1 for a map.
  let outer: number[] | undefined;
  for (;;) {
    while (pending === 0) {
      if (outer === undefined || outer.length === 0) return p;
      const o = outer.pop()!;
      pending = Math.floor(o / 2);
      inMap = o % 2 === 1;
    }
    pending--;
    // A map's items count down from an even number: a key leaves an odd count behind.
    const isKey = inMap && pending % 2 === 1;
    const ib = b[p];
    if (ib === undefined) return -1;
    const h = head(b, p);
    if (!h) return -1;
    p = h.next;
    if (strict && isKey && (h.major === 2 || h.major === 4 || h.major === 5)) return -1;
    let items = 0;
    switch (h.major) {
      case 2: p += h.value; break; // byte string
      case 3: // text string
        if (strict && !(p + h.value <= b.length && isWellFormedUtf8(b, p, p + h.value))) return -1;
        p += h.value;
        break;
      case 4: items = h.value; break; // array
      case 5: items = 2 * h.value; break; // map
      case 6: return -1; // tag
      case 7: // false, true, null, undefined (20-23) and floats (25-27) only
        if ((ib & 0x1f) < 20 || (ib & 0x1f) === 24) return -1;
        break;
      default: break; // integers: the head is all
    }
    // Also catches NaN from a head cut off at the end of the bytes.
    if (!(p <= b.length)) return -1;
    if (items > 0) {
      // Each item takes at least a byte: a count past the end cannot be met.
      if (items > b.length - p) return -1;
      outer ??= [];
      if (outer.length >= maxDepth) return -1;
      outer.push(pending * 2 + (inMap ? 1 : 0));
      pending = items;
      inMap = h.major === 5;
    }
  }
}

/** The bytes of the items from `from` on of a top-level definite-length array, or undefined. */
export function cborTailBytes(b: Uint8Array, from: number, count: number): Uint8Array | undefined {
  const h = head(b, 0);
  if (!h || h.major !== 4 || h.value !== from + count) return undefined;
  const p = skipCborItems(b, h.next, from);
  if (p < 0 || p >= b.length) return undefined;
  return skipCborItems(b, p, count, true) === b.length ? b.subarray(p) : undefined;
}
