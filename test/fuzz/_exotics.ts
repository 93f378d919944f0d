/**
 * Wire-level oddities no JavaScript value encodes to: per serializer, raw snippets that decode
 * to values such as BigInt, Date, Map, Set, typed arrays, `undefined`, NaN, -0, lone
 * surrogates, duplicate or `__proto__` keys, deep nesting, or that do not decode at all.
 * Nesting is either shallow enough for every engine's stack (500) or far too deep for any
 * (100 000), never in between, so that what decodes does not depend on the stack depth.
 * A message carries them as `Exotic` leaves: `encodeWithExotics` encodes the message with a
 * marker string in each such place and splices the raw snippet in for the marker.
 * @module
 */
import type { Serializer, SerializerName } from "../../src/serializer/types.ts";

/** A leaf replaced on the wire by exotic snippet `index` of the serializer in use. */
export class Exotic {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
  toJSON(): string {
    return `<exotic ${this.index}>`;
  }
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const repeat = (b: number, n: number): number[] => new Array<number>(n).fill(b);

function deepJson(depth: number, open: string, close: string, leaf: string): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

const JSON_SNIPPETS: readonly string[] = [
  "1e999", "-1e999", "-0", "9007199254740993", "1.5", "1e2", "1e-400", "123456789012345678901234567890",
  '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u0000AQID"', '"\\u0000!!"', '"\\u0000AQ"',
  '{"__proto__":{"polluted":1}}', '{"a":1,"a":2}', '{"acknowledge":true,"acknowledge":"no"}',
  '{"mode":"kill","mode":7}', "[]", "{}", "null", "true",
  deepJson(500, "[", "]", "1"), deepJson(100_000, "[", "]", "1"),
  deepJson(500, '{"a":', "}", "1"), deepJson(100_000, '{"a":', "}", "{}"),
];

const MSGPACK_SNIPPETS: readonly number[][] = [
  [0xc0], [0xca, 0x7f, 0xc0, 0, 0], [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], [0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0],
  [0xcf, ...repeat(0xff, 8)], [0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1], [0xd3, 0x80, ...repeat(0, 7)],
  [0xce, 0xff, 0xff, 0xff, 0xff], [0xd0, 0x80], [0xff],
  [0xd6, 0xff, 0, 0, 0, 1], [0xd7, 0xff, ...repeat(0, 7), 1], [0xc7, 12, 0xff, ...repeat(0, 11), 1],
  [0xc4, 0], [0xa2, 0xff, 0xfe], [0xc1], [0x81, 0x01, 0x02], [0x81, 0xc0, 0x02],
  [0x81, 0xa9, ...ascii("__proto__"), 0x81, 0xa1, 0x61, 0x01], [0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02],
  [0xd4, 0x05, 0x01], [0xdc, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff],
  [...repeat(0x91, 500), 0xc0], [...repeat(0x91, 100_000), 0xc0],
  [0x81, 0xa1, 0x61, ...repeat(0x91, 500), 0xc0],
];

const CBOR_SNIPPETS: readonly number[][] = [
  [0xf7], [0xf6], [0xc2, 0x49, 1, ...repeat(0, 8)], [0xc2, 0x41, 0x05], [0xc3, 0x41, 0x00],
  [0xc1, 0x1a, 0, 0, 0, 1], [0xc0, 0x74, ...ascii("2020-01-01T00:00:00Z")],
  [0xd9, 0x01, 0x02, 0x81, 0x01], [0xd9, 0x01, 0x03, 0xa1, 0x01, 0x02], [0xd9, 0x03, 0xe7, 0x01],
  [0xd8, 27, 0x82, 0x61, 0x41, 0x80], [0xd8, 0x40, 0x42, 1, 2], [0xd8, 85, 0x44, 0, 0, 0x80, 0x3f],
  [0xf9, 0x7e, 0x00], [0xf9, 0x7c, 0x00], [0xfb, 0x80, ...repeat(0, 7)],
  [0x1b, ...repeat(0xff, 8)], [0x1b, 0, 0x20, 0, 0, 0, 0, 0, 1], [0x3b, ...repeat(0xff, 8)],
  [0x9f, 0x01, 0xff], [0xbf, 0x61, 0x61, 0x01, 0xff], [0x7f, 0x61, 0x61, 0x61, 0x62, 0xff],
  [0xa1, 0x01, 0x02], [0xa1, 0xf5, 0x02], [0xa1, 0x69, ...ascii("__proto__"), 0xa1, 0x61, 0x61, 0x01],
  [0xd8, 28, 0x81, 0x01], [0x62, 0xff, 0xfe], [0xe0], [0xd8, 29, 0x00],
  [...repeat(0x81, 500), 0xf6], [...repeat(0x81, 100_000), 0xf6],
];

/** How many snippets each serializer has; an `Exotic` index is taken modulo this. */
export const EXOTIC_COUNT = Math.max(JSON_SNIPPETS.length, MSGPACK_SNIPPETS.length, CBOR_SNIPPETS.length);

const MARK = "ZZEXOTIC";

function marker(index: number): string {
  return `${MARK}${String(index).padStart(4, "0")}ZZ`; // 14 ASCII chars
}

/** Replaces Exotic leaves by marker strings; reports whether there were any. */
function mark(value: unknown, found: Set<number>, size: number): unknown {
  if (value instanceof Exotic) {
    const i = value.index % size;
    found.add(i);
    return marker(i);
  }
  if (Array.isArray(value)) return value.map((v) => mark(v, found, size));
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: mark(v, found, size), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function replaceBytes(haystack: Uint8Array, needle: readonly number[], by: readonly number[]): Uint8Array {
  const hits: number[] = [];
  for (let i = haystack.indexOf(needle[0]!); i !== -1 && i + needle.length <= haystack.length; i = haystack.indexOf(needle[0]!, i + 1)) {
    let match = true;
    for (let j = 1; j < needle.length && match; j++) match = haystack[i + j] === needle[j];
    if (match) {
      hits.push(i);
      i += needle.length - 1;
    }
  }
  if (hits.length === 0) return haystack;
  const out = new Uint8Array(haystack.length + hits.length * (by.length - needle.length));
  const snippet = Uint8Array.from(by);
  let from = 0;
  let o = 0;
  for (const at of hits) {
    out.set(haystack.subarray(from, at), o);
    o += at - from;
    out.set(snippet, o);
    o += snippet.length;
    from = at + needle.length;
  }
  out.set(haystack.subarray(from), o);
  return out;
}

function snippetCount(name: SerializerName): number {
  return name === "json" ? JSON_SNIPPETS.length : name === "msgpack" ? MSGPACK_SNIPPETS.length : CBOR_SNIPPETS.length;
}

/**
 * Encodes `message` (which may hold Exotic leaves) with `ser`. Throws whatever the serializer
 * throws for values it cannot encode.
 */
export function encodeWithExotics(ser: Serializer, message: unknown): Uint8Array | string {
  const found = new Set<number>();
  const marked = mark(message, found, snippetCount(ser.name));
  // The serializers take a list; anything else (a fuzzed non-list frame) goes through as is.
  const encoded = ser.encode(marked as unknown[]);
  if (found.size === 0) return encoded;
  if (typeof encoded === "string") {
    let text = encoded;
    for (const i of found) text = text.split(JSON.stringify(marker(i))).join(JSON_SNIPPETS[i]!);
    return text;
  }
  let bytes = encoded;
  const header = ser.name === "msgpack" ? 0xae : 0x6e; // str of length 14
  for (const i of found) {
    const snippet = ser.name === "msgpack" ? MSGPACK_SNIPPETS[i]! : CBOR_SNIPPETS[i]!;
    bytes = replaceBytes(bytes, [header, ...ascii(marker(i))], snippet);
  }
  return bytes;
}
