/**
 * Binary-format messages whose payload stays encoded (encoded.ts `EncodedValue`), for
 * MessagePack and CBOR alike: a decoder for the client messages that carry a payload (CALL,
 * YIELD, PUBLISH, ERROR) that reads only the elements before it and checks the payload with
 * the format's skipper, and an encoder that writes such elements back as their bytes. On the
 * Bun router, decoding and encoding every small message whole with msgpackr added a third to a
 * half to the CPU of a call's WebSocket I/O; skipping over a payload costs a fraction of
 * decoding it, and the few head elements of a message are read and written here directly, as
 * the libraries' per-call overhead is most of the cost of such small values.
 * @module
 */
import { EMPTY_DICT } from "../wamp/empty_dict.ts";
import { decodeElements, EncodedValue } from "./encoded.ts";
import type { SerializerName } from "./types.ts";

/** How the parts this module leaves alone are read and written: the serializer's library. */
export interface BinaryCodec {
  /** Decodes the one value in `bytes`, a view of a received frame; throws on what does not decode. */
  decode(bytes: Uint8Array): unknown;
  /** Decodes the one value in `bytes[0, end)` of a plain array of the caller's; throws likewise. */
  decodeRange(bytes: Uint8Array, end: number): unknown;
  /** Encodes a value; the bytes may be a view of a buffer that the next call overwrites. */
  encode(value: unknown): Uint8Array;
}

/**
 * What differs between the formats: the headers of the values a message's head holds (read and
 * written here directly), of lists and maps, and the skipper.
 */
export interface BinaryFormat {
  readonly name: SerializerName;
  /** An array of fewer than `shortArrayLimit` elements has the one-byte header `shortArrayBase | n`. */
  readonly shortArrayBase: number;
  readonly shortArrayLimit: number;
  /** Non-negative integers below this are their own one-byte header. */
  readonly tinyIntLimit: number;
  /** Headers of non-negative integers in 1, 2, 4 and 8 bytes, big-endian. */
  readonly uint8: number;
  readonly uint16: number;
  readonly uint32: number;
  readonly uint64: number;
  /** A string shorter than `shortTextLimit` bytes has the one-byte header `shortTextBase | length`. */
  readonly shortTextBase: number;
  readonly shortTextLimit: number;
  /** Header of a string with a 1-byte length. */
  readonly text8: number;
  /** An empty list and map: their one-byte headers, and the 16-bit-count ones (then 0, 0). */
  readonly emptyList: number;
  readonly list16: number;
  readonly emptyMap: number;
  readonly map16: number;
  /**
   * Position just past `n` values from `p`; -1 where the format's skipper gives up and, with
   * `strict`, on anything that might not decode as it would in the whole frame.
   */
  skip(b: Uint8Array, p: number, n: number, strict: boolean, maxDepth: number): number;
  /** What the value at `p` is, by its header: a (definite-length) list or map, or neither. */
  kindAt(b: Uint8Array, p: number): "list" | "dict" | undefined;
}

/**
 * Where the payload starts, by message type: the number of elements before it (the type code
 * included). The decoders leave only these payloads encoded.
 */
const PAYLOAD_AT: readonly (number | undefined)[] = (() => {
  const at: (number | undefined)[] = new Array<number | undefined>(71).fill(undefined);
  at[8] = 5; // [ERROR, INVOCATION, Request, Details, Error, Arguments, ArgumentsKw]
  at[16] = 4; // [PUBLISH, Request, Options, Topic, Arguments, ArgumentsKw]
  at[48] = 4; // [CALL, Request, Options, Procedure, Arguments, ArgumentsKw]
  at[70] = 3; // [YIELD, Request, Options, Arguments, ArgumentsKw]
  return at;
})();

/**
 * Payloads nested deeper are decoded whole: that gives the answer it always gave (the
 * libraries recurse, so a very deep one fails to decode and is a protocol violation), where a
 * payload skipped over would be passed on for the receivers to choke on.
 */
const MAX_LAZY_DEPTH = 64;

// --- what the formats share for head values ---

/**
 * Recently read head strings (URIs repeat: a caller calls the same few procedures), in a
 * direct-mapped table by hash: a hit costs a hash and a compare, and allocates nothing.
 */
const TEXT_SLOTS = 256;
const textBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(TEXT_SLOTS).fill(undefined);
const textValues: string[] = new Array<string>(TEXT_SLOTS).fill("");

/** The ASCII string in `b[p, p + len)`, or undefined when it runs past the end or is not ASCII. */
function asciiText(b: Uint8Array, p: number, len: number): string | undefined {
  const end = p + len;
  if (end > b.length) return undefined;
  let h = len;
  for (let k = p; k < end; k++) {
    const c = b[k]!;
    if (c >= 0x80) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = h & (TEXT_SLOTS - 1);
  const known = textBytes[slot];
  if (known !== undefined && known.length === len) {
    let same = true;
    for (let k = 0; k < len && same; k++) same = known[k] === b[p + k];
    if (same) return textValues[slot];
  }
  let text = "";
  for (let k = p; k < end; k++) text += String.fromCharCode(b[k]!);
  textBytes[slot] = b.slice(p, end);
  textValues[slot] = text;
  return text;
}

/** Writes the characters of `v`, which must all be ASCII; -1 when one is not. */
function writeAscii(out: Uint8Array, p: number, v: string): number {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c >= 0x80) return -1;
    out[p++] = c;
  }
  return p;
}

/** Whether `v` is a plain object without keys. */
function isEmptyPlainObject(v: unknown): boolean {
  if (v === EMPTY_DICT) return true;
  if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const _ in v) return false;
  return true;
}

/** The 4 bytes at `p` as an unsigned big-endian integer. */
function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** Writes `v` (below 2^32) as 4 bytes, big-endian. */
function writeU32(out: Uint8Array, p: number, v: number): number {
  out[p] = v >>> 24;
  out[p + 1] = (v >>> 16) & 0xff;
  out[p + 2] = (v >>> 8) & 0xff;
  out[p + 3] = v & 0xff;
  return p + 4;
}

/** Room a head element may take in the output (a string of 255 bytes and its header). */
const ELEMENT_ROOM = 257;
const TWO_32 = 0x1_0000_0000;

/** The message type code, the first element (at offset 1); -1 when it is no small integer. */
function typeCode(f: BinaryFormat, b: Uint8Array): number {
  const t = b[1];
  if (t === undefined) return -1;
  if (t < f.tinyIntLimit) return t;
  return t === f.uint8 && b[2] !== undefined ? b[2] : -1;
}

/** Whether the list or map at `p` is empty. */
function isEmptyAt(f: BinaryFormat, b: Uint8Array, p: number): boolean {
  const t = b[p];
  return t === f.emptyList || t === f.emptyMap || ((t === f.list16 || t === f.map16) && b[p + 1] === 0 && b[p + 2] === 0);
}

/**
 * Reads `count` elements from `p` into `into[0, count)` when each is of a kind nearly every
 * head holds and reads to the value the library gives: a non-negative integer (exact up to
 * 2^53, every WAMP id; above that rounded once, as the libraries' numbers are), an ASCII
 * string, an empty map (the libraries write every map with a 16-bit count). Returns where
 * they end, or -1 at any other element, which the library then reads.
 */
function readHead(f: BinaryFormat, b: Uint8Array, p: number, count: number, into: unknown[]): number {
  for (let i = 0; i < count; i++) {
    const t = b[p];
    let len = -1; // a string's length, its bytes after the header
    if (t === undefined) return -1;
    if (t < f.tinyIntLimit) {
      into[i] = t;
      p += 1;
    } else if (t === f.uint8 && p + 1 < b.length) {
      into[i] = b[p + 1];
      p += 2;
    } else if (t === f.uint16 && p + 2 < b.length) {
      into[i] = (b[p + 1]! << 8) | b[p + 2]!;
      p += 3;
    } else if (t === f.uint32 && p + 4 < b.length) {
      into[i] = readU32(b, p + 1);
      p += 5;
    } else if (t === f.uint64 && p + 8 < b.length) {
      into[i] = readU32(b, p + 1) * TWO_32 + readU32(b, p + 5);
      p += 9;
    } else if (t === f.emptyMap || (t === f.map16 && b[p + 1] === 0 && b[p + 2] === 0)) {
      into[i] = EMPTY_DICT;
      p += t === f.emptyMap ? 1 : 3;
    } else if (t >= f.shortTextBase && t < f.shortTextBase + f.shortTextLimit) {
      len = t - f.shortTextBase;
      p += 1;
    } else if (t === f.text8 && p + 1 < b.length) {
      len = b[p + 1]!;
      p += 2;
    } else return -1;
    if (len >= 0) {
      const text = asciiText(b, p, len);
      if (text === undefined) return -1;
      into[i] = text;
      p += len;
    }
  }
  return p;
}

/**
 * Writes a head element of the kinds readHead reads (and larger integers) into `out` at `p` as
 * the library would (above 2^32 a 64-bit integer, as the serializers' wideIntegersToBigInt
 * makes it write); returns the end, or -1 for anything else or when `out` lacks room.
 */
function writeHeadElement(f: BinaryFormat, out: Uint8Array, p: number, v: unknown): number {
  if (p + ELEMENT_ROOM > out.length) return -1;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) return -1;
    if (v < f.tinyIntLimit) out[p++] = v;
    else if (v < 0x100) (out[p++] = f.uint8), (out[p++] = v);
    else if (v < 0x10000) (out[p++] = f.uint16), (out[p++] = v >>> 8), (out[p++] = v & 0xff);
    else {
      const wide = v >= TWO_32;
      out[p++] = wide ? f.uint64 : f.uint32;
      if (wide) p = writeU32(out, p, Math.floor(v / TWO_32));
      p = writeU32(out, p, v >>> 0);
    }
    return p;
  }
  if (typeof v === "string") {
    const len = v.length;
    if (len > 255) return -1;
    if (len < f.shortTextLimit) out[p++] = f.shortTextBase | len;
    else (out[p++] = f.text8), (out[p++] = len);
    return writeAscii(out, p, v);
  }
  if (isEmptyPlainObject(v)) {
    out[p++] = f.emptyMap;
    return p;
  }
  return -1;
}

// --- decoding ---

/**
 * The message in `frame` with its payload left encoded, or undefined when the frame is not a
 * well-formed client message with a payload in the expected shape (the caller then decodes it
 * whole, and reports what is wrong with it). The payload must be a list (and a map) that the
 * format's skipper vouches for: well-formed UTF-8 text, nesting within MAX_LAZY_DEPTH, none of
 * the constructs the library gives a meaning of its own, nothing after it.
 */
function decodeWithEncodedPayload(frame: Uint8Array, format: BinaryFormat, codec: BinaryCodec): unknown[] | undefined {
  const n = frame[0]! - format.shortArrayBase;
  if (!(n >= 0 && n < format.shortArrayLimit)) return undefined;
  const type = typeCode(format, frame);
  const at = type >= 0 ? PAYLOAD_AT[type] : undefined;
  if (at === undefined || n <= at || n > at + 2) return undefined;
  // Made at its final length: growing it element by element would allocate again.
  const message = new Array<unknown>(n);
  let quick = true;
  let argsAt = readHead(format, frame, 1, at, message);
  if (argsAt < 0) {
    // An element the quick reader leaves to the library: the whole head goes to it.
    quick = false;
    argsAt = format.skip(frame, 1, at, false, Infinity);
    if (argsAt < 0) return undefined;
  }
  if (format.kindAt(frame, argsAt) !== "list") return undefined;
  const kwargsAt = format.skip(frame, argsAt, 1, true, MAX_LAZY_DEPTH);
  if (kwargsAt < 0) return undefined;
  let end = kwargsAt;
  if (n === at + 2) {
    if (format.kindAt(frame, kwargsAt) !== "dict") return undefined;
    end = format.skip(frame, kwargsAt, 1, true, MAX_LAZY_DEPTH);
  }
  if (end !== frame.length) return undefined;
  if (!quick && !decodeHead(frame, argsAt, at, format, codec, message)) return undefined;
  const { name } = format;
  message[at] = new EncodedValue(name, "list", frame, argsAt, kwargsAt, isEmptyAt(format, frame, argsAt), codec.decode);
  if (end !== kwargsAt) {
    message[at + 1] = new EncodedValue(name, "dict", frame, kwargsAt, end, isEmptyAt(format, frame, kwargsAt), codec.decode);
  }
  return message;
}

/** Reused for the head of each message: handling is synchronous and never re-entered. */
let headScratch = new Uint8Array(256);

/**
 * The first `count` elements read by the library into `into[0, count)`, as the array they are
 * the start of: the frame's bytes up to `end` with the one-byte array header changed to say
 * `count`.
 */
function decodeHead(frame: Uint8Array, end: number, count: number, format: BinaryFormat, codec: BinaryCodec, into: unknown[]): boolean {
  if (headScratch.length < end) headScratch = new Uint8Array(Math.max(end, 2 * headScratch.length));
  const scratch = headScratch;
  scratch.set(frame.subarray(0, end));
  scratch[0] = format.shortArrayBase | count;
  try {
    const head = codec.decodeRange(scratch, end);
    if (!Array.isArray(head) || head.length !== count) return false;
    for (let i = 0; i < count; i++) into[i] = head[i];
    return true;
  } catch {
    return false;
  } finally {
    scratch.fill(0, 0, end);
  }
}

// --- encoding ---

/** Below this, bytes are copied one by one: making a view for `set` costs more. */
const COPY_BY_LOOP = 64;

function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start < COPY_BY_LOOP) {
    for (let k = start; k < end; k++) to[at++] = from[k]!;
  } else to.set(from.subarray(start, end), at);
}

/** Reused for the head of each outbound message. */
const outHead = new Uint8Array(1024);

/**
 * Encodes `message` whose elements from `from` on are all `EncodedValue`s of this format (its
 * payload), writing those as their bytes; undefined when the message is not of that shape (the
 * caller then encodes decoded values).
 */
function encodeWithEncodedPayload(
  message: readonly unknown[],
  from: number,
  format: BinaryFormat,
  codec: BinaryCodec,
): Uint8Array | undefined {
  const total = message.length;
  if (total >= format.shortArrayLimit) return undefined;
  let payloadBytes = 0;
  for (let i = from; i < total; i++) {
    const item = message[i];
    if (!(item instanceof EncodedValue) || item.serializer !== format.name) return undefined;
    payloadBytes += item.end - item.start;
  }
  let headBytes: Uint8Array = outHead;
  let headLength = 1;
  for (let i = 0; i < from && headLength > 0; i++) headLength = writeHeadElement(format, outHead, headLength, message[i]);
  if (headLength < 0) {
    headBytes = codec.encode(message.slice(0, from));
    // The library writes a short array with its one-byte header; anything else is not joined.
    if (headBytes[0] !== (format.shortArrayBase | from)) return undefined;
    headLength = headBytes.length;
  }
  const out = new Uint8Array(headLength + payloadBytes);
  copyBytes(headBytes, 0, headLength, out, 0);
  out[0] = format.shortArrayBase | total;
  let p = headLength;
  for (let i = from; i < total; i++) {
    const item = message[i] as EncodedValue;
    copyBytes(item.source, item.start, item.end, out, p);
    p += item.end - item.start;
  }
  return out;
}

/**
 * A serializer's `encode`: a message that holds payload elements left encoded is written with
 * them as they are where it can be (else with them decoded); any other goes to `encodeValues`.
 */
export function encodeKeepingPayload(
  message: readonly unknown[],
  format: BinaryFormat,
  codec: BinaryCodec,
  encodeValues: (message: readonly unknown[]) => Uint8Array,
): Uint8Array {
  for (let i = 0; i < message.length; i++) {
    if (message[i] instanceof EncodedValue) {
      return encodeWithEncodedPayload(message, i, format, codec) ?? encodeValues(decodeElements(message));
    }
  }
  return encodeValues(message);
}

/** A serializer's `decodeMessage`: the payload left encoded where it can be, else `decode`. */
export function decodeKeepingPayload(
  frame: Uint8Array | string,
  format: BinaryFormat,
  codec: BinaryCodec,
  decode: (frame: Uint8Array | string) => unknown,
): unknown {
  return (typeof frame !== "string" && decodeWithEncodedPayload(frame, format, codec)) || decode(frame);
}
