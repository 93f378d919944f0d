/**
 * CBOR (RFC 8949) for binary_payload.ts: reading and writing the head values of a message
 * directly (as cbor-x reads and writes them), and the headers of lists and maps.
 * @module
 */
import { asciiText, type BinaryFormat, EMPTY_MAP, isEmptyPlainObject, readU32, writeAscii, writeU32 } from "./binary_payload.ts";
import { skipCborItems } from "./cbor_tail.ts";

const ARRAY = 0x80; // major type 4
const MAP = 0xa0; // major type 5
const TEXT = 0x60; // major type 3
/** Additional information 24-27: the argument follows in 1, 2, 4 or 8 bytes. */
const ONE = 24;
const TWO = 25;
const FOUR = 26;
const EIGHT = 27;
const TWO_32 = 0x1_0000_0000;
/** Room a head element may take in the output (a 255-byte text string and its header). */
const ELEMENT_ROOM = 257;

/** Whether the head at `p` says "no items" (short form, or the 2-byte count cbor-x writes for maps). */
function isEmptyHead(b: Uint8Array, p: number, major: number): boolean {
  const t = b[p];
  return t === major || (t === (major | TWO) && b[p + 1] === 0 && b[p + 2] === 0);
}

export const cborFormat: BinaryFormat = {
  name: "cbor",
  shortArrayBase: ARRAY,
  shortArrayLimit: 24,

  typeCode(b) {
    const t = b[1];
    if (t === undefined) return -1;
    if (t < ONE) return t;
    return t === ONE && b[2] !== undefined ? b[2] : -1;
  },

  readHead(b, p, count, into) {
    for (let i = 0; i < count; i++) {
      const t = b[p];
      if (t === undefined) return -1;
      if (t < ONE) {
        into[i] = t;
        p += 1;
      } else if (t === ONE && p + 1 < b.length) {
        into[i] = b[p + 1];
        p += 2;
      } else if (t === TWO && p + 2 < b.length) {
        into[i] = (b[p + 1]! << 8) | b[p + 2]!;
        p += 3;
      } else if (t === FOUR && p + 4 < b.length) {
        into[i] = readU32(b, p + 1);
        p += 5;
      } else if (t === EIGHT && p + 8 < b.length) {
        // Exact up to 2^53 (every WAMP id); above that rounded once, as cbor-x's number is.
        into[i] = readU32(b, p + 1) * TWO_32 + readU32(b, p + 5);
        p += 9;
      } else if (isEmptyHead(b, p, MAP)) {
        into[i] = EMPTY_MAP;
        p += t === MAP ? 1 : 3;
      } else if (t >= TEXT && t < (TEXT | ONE)) {
        const text = asciiText(b, p + 1, t & 0x1f);
        if (text === undefined) return -1;
        into[i] = text;
        p += 1 + (t & 0x1f);
      } else if (t === (TEXT | ONE) && p + 1 < b.length) {
        const text = asciiText(b, p + 2, b[p + 1]!);
        if (text === undefined) return -1;
        into[i] = text;
        p += 2 + b[p + 1]!;
      } else return -1;
    }
    return p;
  },

  skip: skipCborItems,

  kindAt(b, p) {
    const t = b[p];
    if (t === undefined) return undefined;
    const ai = t & 0x1f;
    // Definite lengths only (additional information 31 is an indefinite one).
    if (ai > EIGHT) return undefined;
    const major = t & 0xe0;
    return major === ARRAY ? "list" : major === MAP ? "dict" : undefined;
  },

  isEmptyAt(b, p) {
    return isEmptyHead(b, p, ARRAY) || isEmptyHead(b, p, MAP);
  },

  writeHeadElement(out, p, v) {
    if (p + ELEMENT_ROOM > out.length) return -1;
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) return -1;
      if (v < ONE) out[p++] = v;
      else if (v < 0x100) (out[p++] = ONE), (out[p++] = v);
      else if (v < 0x10000) (out[p++] = TWO), (out[p++] = v >>> 8), (out[p++] = v & 0xff);
      else {
        // Above 2^32 a 64-bit integer, as the serializer's wideIntegersToBigInt makes cbor-x write.
        const wide = v >= TWO_32;
        out[p++] = wide ? EIGHT : FOUR;
        if (wide) p = writeU32(out, p, Math.floor(v / TWO_32));
        p = writeU32(out, p, v >>> 0);
      }
      return p;
    }
    if (typeof v === "string") {
      const len = v.length;
      if (len > 255) return -1;
      if (len < ONE) out[p++] = TEXT | len;
      else (out[p++] = TEXT | ONE), (out[p++] = len);
      return writeAscii(out, p, v);
    }
    if (isEmptyPlainObject(v)) {
      out[p++] = MAP;
      return p;
    }
    return -1;
  },
};
