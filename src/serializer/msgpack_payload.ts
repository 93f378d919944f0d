/**
 * MessagePack for binary_payload.ts: the headers msgpackr reads and writes for a message's head
 * values, lists and maps.
 * @module
 */
import type { BinaryFormat } from "./binary_payload.ts";
import { skipMsgpackValues } from "./msgpack_tail.ts";

export const msgpackFormat: BinaryFormat = {
  name: "msgpack",
  shortArrayBase: 0x90, // fixarray
  shortArrayLimit: 16,
  tinyIntLimit: 0x80, // positive fixint
  uint8: 0xcc,
  uint16: 0xcd,
  uint32: 0xce,
  uint64: 0xcf,
  shortTextBase: 0xa0, // fixstr
  shortTextLimit: 32,
  text8: 0xd9,
  emptyList: 0x90,
  list16: 0xdc,
  emptyMap: 0x80,
  map16: 0xde,
  skip: skipMsgpackValues,

  kindAt(b, p) {
    const t = b[p];
    if (t === undefined) return undefined;
    if ((t & 0xf0) === 0x90 || t === 0xdc || t === 0xdd) return "list"; // fixarray, array 16/32
    if ((t & 0xf0) === 0x80 || t === 0xde || t === 0xdf) return "dict"; // fixmap, map 16/32
    return undefined;
  },
};
