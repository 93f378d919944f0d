/**
 * CBOR (RFC 8949) for binary_payload.ts: the heads cbor-x reads and writes for a message's head
 * values, arrays and maps. A head is the major type in the top 3 bits and the argument: below
 * 24 in the low 5 bits, or 24-27 there and 1, 2, 4 or 8 bytes after.
 * @module
 */
import type { BinaryFormat } from "./binary_payload.ts";
import { skipCborItems } from "./cbor_tail.ts";

const ARRAY = 0x80; // major type 4
const MAP = 0xa0; // major type 5

export const cborFormat: BinaryFormat = {
  name: "cbor",
  shortArrayBase: ARRAY,
  shortArrayLimit: 24,
  tinyIntLimit: 24, // major type 0
  uint8: 0x18,
  uint16: 0x19,
  uint32: 0x1a,
  uint64: 0x1b,
  shortTextBase: 0x60, // major type 3
  shortTextLimit: 24,
  text8: 0x78,
  emptyList: ARRAY,
  list16: ARRAY | 25,
  emptyMap: MAP,
  map16: MAP | 25,
  skip: skipCborItems,

  kindAt(b, p) {
    const t = b[p];
    // Definite lengths only (additional information 28-31: reserved, indefinite).
    if (t === undefined || (t & 0x1f) > 27) return undefined;
    const major = t & 0xe0;
    return major === ARRAY ? "list" : major === MAP ? "dict" : undefined;
  },
};
