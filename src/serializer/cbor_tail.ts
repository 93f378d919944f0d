/**
 * Cutting the trailing elements out of an encoded CBOR message (RFC 8949), for payload
 * forwarding without re-encoding (types.ts `RawTail`). Definite lengths only, and no tags or
 * unassigned simple values: cbor-x gives some of those meaning through state kept across the
 * message (value sharing, tags 28/29; packed values, tags 51/6 and simple values 0-19), which
 * a cut-out part would lose. Such a message is simply encoded afresh.
 * @module
 */
import { skipLevels, trimSkipLevels } from "./skip_levels.ts";
import { isWellFormedUtf8 } from "./utf8_check.ts";

/**
 * The head read by the last `readItemHead`: major type and argument. Module state rather than a
 * returned record, which would be an allocation per item skipped (reading is synchronous).
 */
let headMajor = 0;
let headValue = 0;

/** Reads the head at `p` into headMajor/headValue; the position after it, or -1 for what is not handled. */
function readItemHead(b: Uint8Array, p: number): number {
  const ib = b[p];
  if (ib === undefined) return -1;
  headMajor = ib >> 5;
  const ai = ib & 0x1f;
  if (ai < 24) {
    headValue = ai;
    return p + 1;
  }
  if (ai === 24) headValue = b[p + 1]!;
  else if (ai === 25) headValue = (b[p + 1]! << 8) | b[p + 2]!;
  else if (ai === 26) headValue = ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
  else if (ai === 27) {
    const hi = ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
    const lo = ((b[p + 5]! << 24) >>> 0) + ((b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!);
    // A length this large cannot be in a frame anyway; numbers (majors 0, 1, 7) ignore it.
    headValue = hi * 2 ** 32 + lo;
  } else return -1; // 28-30 reserved, 31 indefinite length
  return p + (ai === 24 ? 2 : ai === 25 ? 3 : ai === 26 ? 5 : 9);
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
  const outer = skipLevels;
  let depth = 0;
  try {
    for (;;) {
      while (pending === 0) {
        if (depth === 0) return p;
        const o = outer[--depth]!;
        pending = Math.floor(o / 2);
        inMap = o % 2 === 1;
      }
      pending--;
      // A map's items count down from an even number: a key leaves an odd count behind.
      const isKey = inMap && pending % 2 === 1;
      const ib = b[p];
      if (ib === undefined) return -1;
      p = readItemHead(b, p);
      if (p < 0) return -1;
      const major = headMajor;
      const value = headValue;
      if (strict && isKey && (major === 2 || major === 4 || major === 5)) return -1;
      let items = 0;
      switch (major) {
        case 2: p += value; break; // byte string
        case 3: // text string
          if (strict && !(p + value <= b.length && isWellFormedUtf8(b, p, p + value))) return -1;
          p += value;
          break;
        case 4: items = value; break; // array
        case 5: items = 2 * value; break; // map
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
        if (depth >= maxDepth) return -1;
        outer[depth++] = pending * 2 + (inMap ? 1 : 0);
        pending = items;
        inMap = major === 5;
      }
    }
  } finally {
    trimSkipLevels();
  }
}

/** The bytes of the items from `from` on of a top-level definite-length array, or undefined. */
export function cborTailBytes(b: Uint8Array, from: number, count: number): Uint8Array | undefined {
  const next = readItemHead(b, 0);
  if (next < 0 || headMajor !== 4 || headValue !== from + count) return undefined;
  const p = skipCborItems(b, next, from);
  if (p < 0 || p >= b.length) return undefined;
  return skipCborItems(b, p, count, true) === b.length ? b.subarray(p) : undefined;
}
