/**
 * Cutting the trailing elements out of an encoded MessagePack message, for payload forwarding
 * without re-encoding (types.ts `RawTail`): a skipper over the format's headers, iterative so
 * that nesting depth costs no stack. Extension types are refused (the message is then encoded
 * afresh): msgpackr's own extensions (records, bundled strings) give meaning to bytes through
 * state kept across the message, which a cut-out part would lose.
 * @module
 */
import { skipLevels, trimSkipLevels } from "./skip_levels.ts";
import { isWellFormedUtf8 } from "./utf8_check.ts";

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/**
 * Position just past `n` consecutive values starting at `p`; -1 on bytes that do not parse, on
 * extension types, and on containers nested more than `maxDepth` deep. With `strict` (the values
 * will be forwarded as they are, for msgpackr to decode only where a peer needs values), also -1
 * on strings that are not well-formed UTF-8 and on map keys msgpackr refuses to decode (lists,
 * maps, binary): whatever passes then decodes as it would have in the whole frame.
 */
export function skipMsgpackValues(b: Uint8Array, p: number, n: number, strict = false, maxDepth = Infinity): number {
  let pending = n;
  let inMap = false;
  // The enclosing containers, innermost last: pending count * 2, plus 1 for a map.
  const outer = skipLevels;
  let depth = 0;
  try {
    for (;;) {
      while (pending === 0) {
        if (depth === 0) return p <= b.length ? p : -1;
        const o = outer[--depth]!;
        pending = Math.floor(o / 2);
        inMap = o % 2 === 1;
      }
      if (!(p < b.length)) return -1;
      pending--;
      // A map's items count down from an even number: a key leaves an odd count behind.
      const isKey = inMap && (pending & 1) === 1;
      const t = b[p]!;
      let text = 0; // length of a string's bytes, which start at p after the header
      let items = 0; // values a container holds
      let map = false;
      if (t <= 0x7f || t >= 0xe0) p += 1; // positive / negative fixint
      else if (t <= 0x8f) (items = 2 * (t & 0x0f)), (map = true), (p += 1); // fixmap
      else if (t <= 0x9f) (items = t & 0x0f), (p += 1); // fixarray
      else if (t <= 0xbf) (text = t & 0x1f), (p += 1); // fixstr
      else {
        switch (t) {
          case 0xc0: case 0xc2: case 0xc3: p += 1; break; // nil, false, true
          case 0xc4: p += 2 + b[p + 1]!; break; // bin8
          case 0xc5: p += 3 + u16(b, p + 1); break; // bin16
          case 0xc6: p += 5 + u32(b, p + 1); break; // bin32
          case 0xd9: text = b[p + 1]!; p += 2; break; // str8
          case 0xda: text = u16(b, p + 1); p += 3; break; // str16
          case 0xdb: text = u32(b, p + 1); p += 5; break; // str32
          case 0xca: case 0xce: case 0xd2: p += 5; break; // float32, uint32, int32
          case 0xcb: case 0xcf: case 0xd3: p += 9; break; // float64, uint64, int64
          case 0xcc: case 0xd0: p += 2; break; // uint8, int8
          case 0xcd: case 0xd1: p += 3; break; // uint16, int16
          case 0xdc: items = u16(b, p + 1); p += 3; break; // array16
          case 0xdd: items = u32(b, p + 1); p += 5; break; // array32
          case 0xde: items = 2 * u16(b, p + 1); map = true; p += 3; break; // map16
          case 0xdf: items = 2 * u32(b, p + 1); map = true; p += 5; break; // map32
          default: return -1; // 0xc1 (never used), ext 8/16/32, fixext 1-16
        }
      }
      // fixmap, fixarray, bin 8/16/32, array 16/32, map 16/32.
      if (strict && isKey && ((t >= 0x80 && t <= 0x9f) || (t >= 0xc4 && t <= 0xc6) || (t >= 0xdc && t <= 0xdf))) return -1;
      if (text > 0) {
        if (strict && !isWellFormedUtf8(b, p, p + text)) return -1;
        p += text;
      }
      if (items > 0) {
        // Each item takes at least a byte: a count past the end cannot be met (and must not be
        // waited for item by item).
        if (items > b.length - p) return -1;
        if (depth >= maxDepth) return -1;
        outer[depth++] = pending * 2 + (inMap ? 1 : 0);
        pending = items;
        inMap = map;
      }
    }
  } finally {
    trimSkipLevels();
  }
}

/** The bytes of the elements from `from` on of a top-level array, or undefined. */
export function msgpackTailBytes(b: Uint8Array, from: number, count: number): Uint8Array | undefined {
  const t = b[0];
  let length: number;
  let p: number;
  if (t === undefined) return undefined;
  if (t >= 0x90 && t <= 0x9f) (length = t & 0x0f), (p = 1);
  else if (t === 0xdc) (length = u16(b, 1)), (p = 3);
  else if (t === 0xdd) (length = u32(b, 1)), (p = 5);
  else return undefined;
  if (length !== from + count) return undefined;
  p = skipMsgpackValues(b, p, from);
  if (p < 0 || p >= b.length) return undefined;
  // The tail must be exactly the rest of the frame: nothing may trail the array.
  return skipMsgpackValues(b, p, count, true) === b.length ? b.subarray(p) : undefined;
}
