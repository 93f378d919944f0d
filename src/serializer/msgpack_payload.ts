/**
 * MessagePack for binary_payload.ts: reading and writing the head values of a message
 * directly (as msgpackr reads and writes them), and the headers of lists and maps.
 * @module
 */
import { asciiText, type BinaryFormat, EMPTY_MAP, isEmptyPlainObject, readU32, writeAscii, writeU32 } from "./binary_payload.ts";
import { skipMsgpackValues } from "./msgpack_tail.ts";

const FIXARRAY = 0x90;
const FIXMAP = 0x80;
const FIXSTR = 0xa0;
const ARRAY16 = 0xdc;
const ARRAY32 = 0xdd;
const MAP16 = 0xde;
const MAP32 = 0xdf;
const STR8 = 0xd9;
const UINT8 = 0xcc;
const UINT16 = 0xcd;
const UINT32 = 0xce;
const UINT64 = 0xcf;
const TWO_32 = 0x1_0000_0000;
/** Room a head element may take in the output (a str8 of 255 bytes and its header). */
const ELEMENT_ROOM = 257;

export const msgpackFormat: BinaryFormat = {
  name: "msgpack",
  shortArrayBase: FIXARRAY,
  shortArrayLimit: 16,

  typeCode(b) {
    const t = b[1];
    return t !== undefined && t < 0x80 ? t : -1;
  },

  readHead(b, p, count, into) {
    for (let i = 0; i < count; i++) {
      const t = b[p];
      if (t === undefined) return -1;
      if (t <= 0x7f) {
        into[i] = t;
        p += 1;
      } else if (t === FIXMAP) {
        into[i] = EMPTY_MAP;
        p += 1;
      } else if (t === MAP16 && b[p + 1] === 0 && b[p + 2] === 0) {
        // msgpackr writes every map with a 16-bit count.
        into[i] = EMPTY_MAP;
        p += 3;
      } else if (t >= FIXSTR && t <= 0xbf) {
        const text = asciiText(b, p + 1, t & 0x1f);
        if (text === undefined) return -1;
        into[i] = text;
        p += 1 + (t & 0x1f);
      } else if (t === STR8 && p + 1 < b.length) {
        const text = asciiText(b, p + 2, b[p + 1]!);
        if (text === undefined) return -1;
        into[i] = text;
        p += 2 + b[p + 1]!;
      } else if (t === UINT8 && p + 1 < b.length) {
        into[i] = b[p + 1];
        p += 2;
      } else if (t === UINT16 && p + 2 < b.length) {
        into[i] = (b[p + 1]! << 8) | b[p + 2]!;
        p += 3;
      } else if (t === UINT32 && p + 4 < b.length) {
        into[i] = readU32(b, p + 1);
        p += 5;
      } else if (t === UINT64 && p + 8 < b.length) {
        // Exact up to 2^53 (every WAMP id); above that rounded once, as msgpackr's number is.
        into[i] = readU32(b, p + 1) * TWO_32 + readU32(b, p + 5);
        p += 9;
      } else if (t >= 0xe0) {
        into[i] = t - 0x100;
        p += 1;
      } else return -1;
    }
    return p;
  },

  skip: skipMsgpackValues,

  kindAt(b, p) {
    const t = b[p];
    if (t === undefined) return undefined;
    if ((t & 0xf0) === FIXARRAY || t === ARRAY16 || t === ARRAY32) return "list";
    if ((t & 0xf0) === FIXMAP || t === MAP16 || t === MAP32) return "dict";
    return undefined;
  },

  isEmptyAt(b, p) {
    const t = b[p];
    return t === FIXARRAY || t === FIXMAP || ((t === ARRAY16 || t === MAP16) && b[p + 1] === 0 && b[p + 2] === 0);
  },

  writeHeadElement(out, p, v) {
    if (p + ELEMENT_ROOM > out.length) return -1;
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) return -1;
      if (v < 0x80) out[p++] = v;
      else if (v < 0x100) (out[p++] = UINT8), (out[p++] = v);
      else if (v < 0x10000) (out[p++] = UINT16), (out[p++] = v >>> 8), (out[p++] = v & 0xff);
      else {
        // Above 2^32 a 64-bit integer, as the serializer's wideIntegersToBigInt makes msgpackr write.
        const wide = v >= TWO_32;
        out[p++] = wide ? UINT64 : UINT32;
        if (wide) p = writeU32(out, p, Math.floor(v / TWO_32));
        p = writeU32(out, p, v >>> 0);
      }
      return p;
    }
    if (typeof v === "string") {
      const len = v.length;
      if (len > 255) return -1;
      if (len < 32) out[p++] = FIXSTR | len;
      else (out[p++] = STR8), (out[p++] = len);
      return writeAscii(out, p, v);
    }
    if (isEmptyPlainObject(v)) {
      out[p++] = FIXMAP;
      return p;
    }
    return -1;
  },
};
